"""The controller: estimator edge cases, eq. 5 policy, and the Redis store (real Redis) with its fallback."""

from __future__ import annotations

import asyncio
import time

import pytest
import redis as redis_lib
from helpers import TEST_PROFILE, prerequisite

from stae.control.controller import Controller
from stae.control.estimator import (
    BandwidthState,
    EstimatorConfig,
    estimate_bps,
    estimate_latency_ms,
    sample_bps,
    split_sample,
    update,
)
from stae.control.policy import LocalOption, ServerShare, choose, predict_ms
from stae.control.profile import PAPER_TABLE_I, ProfileEntry, ServerLoad, paper_prior_accuracy
from stae.control.store import ControllerStore
from stae.errors import NotReadyError, STAEError

CFG = EstimatorConfig()
REDIS_URL = "redis://127.0.0.1:6379/0"


def feed(samples: list[float], state: BandwidthState | None = None) -> BandwidthState:
    state = state or BandwidthState()
    for i, bps in enumerate(samples):
        state = update(state, bps, float(i), CFG)
    return state


# --- estimator -------------------------------------------------------------------------------------------


def test_no_samples_means_no_estimate() -> None:
    assert estimate_bps(None, CFG) is None
    assert estimate_bps(BandwidthState(), CFG) is None


def test_first_sample_is_already_an_estimate() -> None:
    assert estimate_bps(feed([8e6]), CFG) == pytest.approx(8e6)


def test_zero_time_and_empty_transfers_are_ignored() -> None:
    assert sample_bps(1000, 0.0, CFG) is None
    assert sample_bps(1000, -3.0, CFG) is None
    assert sample_bps(1000, float("nan"), CFG) is None
    assert sample_bps(0, 10.0, CFG) is None
    assert sample_bps(1000, 8.0, CFG) == pytest.approx(1e6)


def test_steady_rate_is_estimated_exactly() -> None:
    assert estimate_bps(feed([20e6] * 5), CFG) == pytest.approx(20e6)


def test_sudden_drop_to_a_tenth_is_followed_at_once() -> None:
    state = feed([50e6] * 20)
    after = [estimate_bps(state := update(state, 5e6, 0.0, CFG), CFG) for _ in range(10)]
    assert after[0] is not None and after[0] < 5e6  # the first low sample already puts the estimate below it
    assert all(a is not None and a <= 5e6 * 1.001 for a in after)  # and it never overshoots afterwards
    assert after[-1] == pytest.approx(5e6)  # exact once two windows hold only the new rate


def test_a_spike_is_not_chased() -> None:
    state = feed([10e6] * 20 + [200e6])
    est = estimate_bps(state, CFG)
    assert est is not None and est < 10e6  # a surprise makes the estimate more careful, not bolder


def test_volatility_makes_the_estimate_careful() -> None:
    steady = estimate_bps(feed([10e6] * 10), CFG)
    volatile = estimate_bps(feed([5e6, 15e6] * 5), CFG)
    assert steady is not None and volatile is not None and volatile < 0.6 * steady


def test_plain_harmonic_mean_when_not_robust() -> None:
    cfg = EstimatorConfig(window=1, robust=False)  # the simulator's "last sample" policy
    state = BandwidthState()
    for bps in (10e6, 2e6):
        state = update(state, bps, 0.0, cfg)
    assert estimate_bps(state, cfg) == pytest.approx(2e6)


# --- policy (eq. 5) --------------------------------------------------------------------------------------


PROFILE = TEST_PROFILE


def test_fast_link_picks_the_most_accurate_budget() -> None:
    d = choose(PROFILE, 1e9, 200)
    assert (d.alpha, d.beta, d.feasible) == (16, 1.0, True)
    assert d.predicted_ms == pytest.approx(predict_ms(PROFILE.entries[0], d.entropy, 1e9, 0.0))


def test_slower_link_trades_accuracy_for_time() -> None:
    d = choose(PROFILE, 20e6, 200)  # α=16, β=100%: 1 MB (brotli) would take 400 ms
    assert d.feasible and d.predicted_ms <= 200
    assert (d.alpha, d.beta) == (16, 0.4)  # 400 kB brotli: 160 ms + 21 ms compute, and more accurate than α=4
    d = choose(PROFILE, 10e6, 200)  # now only α=4 (250 kB: 200 ms) ... or less fits
    assert (d.alpha, d.beta) == (1, 0.4)


def test_entropy_coding_only_when_it_pays() -> None:
    assert choose(PROFILE, 10e6, 1000).entropy == "brotli"  # slow link: halving the bytes saves far more
    assert choose(PROFILE, 100e9, 1000).entropy == "none"  # fast link: brotli's 3 ms cost more than they save


def test_no_budget_meets_the_deadline() -> None:
    d = choose(PROFILE, 1e6, 10)
    assert not d.feasible and (d.alpha, d.beta) == (1, 0.4)  # the fastest option, reported as a miss
    assert "no budget meets" in d.reason


def test_local_computing_when_the_link_is_too_slow() -> None:
    d = choose(PROFILE, 1e5, 100, local=LocalOption(accuracy=0.80, compute_ms=60))
    assert d.mode == "local" and d.feasible
    d = choose(PROFILE, 1e9, 100, local=LocalOption(accuracy=0.80, compute_ms=60))
    assert d.mode == "offload"  # offloading meets the deadline: eq. 5 prefers it at equal accuracy
    d = choose(PROFILE, 1e5, 100, local=LocalOption(accuracy=0.80, compute_ms=500))
    assert d.mode == "offload" and not d.feasible  # local would miss too: send the smallest payload


def test_controller_probes_the_link_after_local_decisions() -> None:
    async def run() -> list[str]:
        ctl = Controller(ControllerStore(None), PROFILE, prior_bps=1e5, local=LocalOption(0.8, 60), probe_every=3)
        return [(await ctl.decide("cam", 100)).decision.mode for _ in range(6)]

    assert asyncio.run(run()) == ["local", "local", "offload", "local", "local", "offload"]


def test_backlog_delays_the_prediction() -> None:
    e = PROFILE.entries[0]
    assert predict_ms(e, "none", 8e6, 0.0, backlog_bytes=1e6) == pytest.approx(predict_ms(e, "none", 8e6, 0.0) + 1000)


COST_MS = {16: 27.0, 4: 13.0, 1: 5.0}  # a server's time per request of α at full batches


def test_a_share_that_fits_the_best_budget_changes_nothing() -> None:
    d = choose(PROFILE, 1e9, 200, server_share=ServerShare(30.0, COST_MS, 0.99))
    assert (d.alpha, d.beta) == (16, 1.0) and "share" not in d.reason


def test_a_tighter_share_mixes_the_budgets_around_it_to_fit_on_average() -> None:
    """Issue 23: 20 ms lies halfway between α = 4 (13 ms) and α = 16 (27 ms) on the hull of accuracy over
    server cost: half the requests take each, so the mean cost is the share."""
    dear = choose(PROFILE, 1e9, 200, server_share=ServerShare(20.0, COST_MS, 0.2))
    cheap = choose(PROFILE, 1e9, 200, server_share=ServerShare(20.0, COST_MS, 0.8))
    assert (dear.alpha, dear.beta, cheap.alpha) == (16, 1.0, 4)
    assert "50% of requests at 27.0 ms" in dear.reason
    picks = [choose(PROFILE, 1e9, 200, server_share=ServerShare(20.0, COST_MS, k / 1000)) for k in range(1000)]
    assert sum(COST_MS[d.alpha] for d in picks) / len(picks) == pytest.approx(20.0, abs=0.1)
    # below the cheapest budget's cost every request takes the cheapest (the server refuses what it cannot fit)
    assert choose(PROFILE, 1e9, 200, server_share=ServerShare(2.0, COST_MS, 0.5)).alpha == 1
    # a decoder whose decoding shares its cores publishes that cost too: α = 16 now costs 37 ms, over a 30-ms share
    assert choose(PROFILE, 1e9, 200, server_share=ServerShare(30.0, COST_MS, 0.99)).alpha == 16
    decoding = ServerShare(30.0, COST_MS, 0.99, {"lossless:16": 10.0})
    assert choose(PROFILE, 1e9, 200, server_share=decoding).alpha == 4
    # the deadline still decides first: on a slow link only α = 1 fits, whatever the share
    assert choose(PROFILE, 10e6, 200, server_share=ServerShare(100.0, COST_MS, 0.0)).alpha == 1


def test_the_controller_fits_the_decoders_published_time_per_request() -> None:
    """Two decoders publish 40 and 40/3 ms per request: together they give 20 ms (n / sum of 1/budget)."""

    async def run() -> list[int]:
        controller = Controller(ControllerStore(None), PROFILE, prior_bps=1e9)
        for name, budget in (("a", 40.0), ("b", 40.0 / 3)):
            load = ServerLoad(queue_depth=0, wait_ms={16: 0, 4: 0, 1: 0}, busy=False, budget_ms=budget, cost_ms=COST_MS)
            await controller.observe_load(load, name)
        return [(await controller.decide("cam", 200)).decision.alpha for _ in range(400)]

    alphas = asyncio.run(run())
    assert set(alphas) == {16, 4}
    assert 0.4 <= alphas.count(16) / len(alphas) <= 0.6


def test_fixed_budget() -> None:
    d = choose(PROFILE, 1e6, 10, fixed=(16, 0.4))
    assert (d.alpha, d.beta, d.feasible) == (16, 0.4, False)
    with pytest.raises(ValueError, match="not in the profile"):
        choose(PROFILE, 1e6, 10, fixed=(3, 0.3))
    with pytest.raises(ValueError, match="positive"):
        choose(PROFILE, 0, 10)


def coded_entry(alpha: int, scale: int, budget: int, p95: float, acc: float) -> ProfileEntry:
    return ProfileEntry(
        alpha=alpha, beta=1.0, encoding="h264", scale=scale, max_bytes=budget, bytes_p95=p95, accuracy=acc,
        bytes_brotli=p95 * 0.9, bytes_none=p95 * 0.9, fa_ms=1.0, sa_ms=0.0, pack_ms=8.0, ee_ms=0.0, ed_ms=2.0,
        fr_ms=0.0, vit_ms=10.0,
    )  # fmt: skip


CODED = PROFILE.model_copy(
    update={"entries": (*PROFILE.entries, coded_entry(8, 2, 400, 390, 0.74), coded_entry(16, 1, 3000, 2900, 0.79))}
)


def test_eq5_chooses_among_coded_and_lossless_entries() -> None:
    # 1 Mbit/s, 100 ms: the lossless budgets (25 kB and more with brotli) cannot make it; 3 kB of H.264 can
    d = choose(CODED, 1e6, 100)
    assert (d.alpha, d.max_bytes, d.scale, d.entropy, d.feasible) == (16, 3000, 1, "none", True)
    # eq. 4 charges the 95th percentile of the bytes and the codec's camera and server time (no brotli stage)
    assert d.payload_bytes == 2900
    assert d.predicted_ms == pytest.approx(1 + 0 + 8 + 2 + 0 + 10 + 2900 * 8e3 / 1e6)
    # tighter: only the 400-byte budget fits
    d = choose(CODED, 1e6, 25)
    assert (d.alpha, d.max_bytes, d.scale) == (8, 400, 2)
    # a fast link: the most accurate lossless budget wins again, and it is a v1 payload
    d = choose(CODED, 1e9, 1000)
    assert (d.alpha, d.beta, d.max_bytes) == (16, 1.0, None)


def test_eq5_chooses_a_latent_entry_when_it_is_the_most_accurate_that_fits() -> None:
    latent = ProfileEntry(
        alpha=16, beta=1.0, encoding="latent", level=3, bytes_p95=450, accuracy=0.77, bytes_brotli=400,
        bytes_none=400, fa_ms=0.0, sa_ms=0.0, pack_ms=6.0, ee_ms=0.0, ed_ms=4.0, fr_ms=0.0, vit_ms=10.0,
    )  # fmt: skip
    profile = CODED.model_copy(update={"entries": (*CODED.entries, latent)})
    assert latent.key == "latent:16,3"
    # 1 Mbit/s, 25 ms: the 400-byte H.264 budget (74%) and the 450-byte latent (77%) both fit; the latent wins
    d = choose(profile, 1e6, 25)
    assert (d.encoding, d.level, d.alpha, d.max_bytes, d.entropy) == ("latent", 3, 16, None, "none")
    assert d.predicted_ms == pytest.approx(6 + 4 + 10 + 450 * 8e3 / 1e6)
    # H.264 entries say what they are too
    assert choose(profile, 1e6, 100).encoding == "h264" and choose(profile, 1e9, 1000).encoding == "lossless"


def test_fixed_budget_means_a_lossless_budget() -> None:
    d = choose(CODED, 1e6, 100, fixed=(16, 1.0))
    assert d.max_bytes is None and (d.alpha, d.beta) == (16, 1.0)
    assert CODED.entry(8, 1.0) is None  # the (8, 100%) entry is coded only
    assert CODED.entry(8, 1.0, 400, 2) is CODED.entries[-2]
    assert CODED.entries[-2].key == "h264:8,1,2,400"


def test_paper_prior_matches_table_i() -> None:
    for alpha, (full, forty) in PAPER_TABLE_I.items():
        assert paper_prior_accuracy(alpha, 1.0) == pytest.approx(full / 100)
        assert paper_prior_accuracy(alpha, 0.4) == pytest.approx(forty / 100)
    assert paper_prior_accuracy(16, 0.7) == pytest.approx((72.6 + 73.3) / 200)


# --- store: real Redis, atomic updates, fail-fast fallback -----------------------------------------------


def _redis_or_skip() -> None:
    try:
        redis_lib.Redis.from_url(REDIS_URL, socket_timeout=0.5).ping()
    except redis_lib.RedisError:
        prerequisite("no Redis answers on 127.0.0.1:6379 (.ci/run starts one)")


def test_replicas_share_samples_atomically() -> None:
    _redis_or_skip()
    prefix = f"stae-test-{time.time_ns()}"

    async def run() -> tuple[int, float | None]:
        # Atomicity, not latency, is under test: a generous timeout keeps a loaded machine from tripping the
        # fail-fast fallback (0.2 s by default) for 40 simultaneous first connections.
        stores = [ControllerStore(REDIS_URL, prefix=prefix, timeout_s=5.0) for _ in range(4)]
        await asyncio.gather(*(s.record("cam", 125_000, 10.0) for s in stores for _ in range(10)))
        fresh = ControllerStore(REDIS_URL, prefix=prefix, timeout_s=5.0)  # a replica that saw none of them
        state = await fresh.get("cam")
        est, _ = await fresh.estimate("cam")
        for s in [*stores, fresh]:
            await s.close()
        return (state.samples if state else 0), est

    samples, est = asyncio.run(run())
    assert samples == 40  # no update lost to a race between replicas
    assert est == pytest.approx(1e8)  # 125 kB in 10 ms = 100 Mbit/s, steady


def test_lua_update_equals_the_python_update() -> None:
    """Rate and latency samples (large and small payloads, 1 s transfers) give the same state in Redis (Lua)
    as in process (Python)."""
    _redis_or_skip()
    transfers = [375_000, 1_062_500, 2_000, 156_250, 5_000_000, 875_000, 300, 875_000, 62_500, 9_000]

    async def run() -> tuple[BandwidthState | None, BandwidthState | None]:
        store = ControllerStore(REDIS_URL, prefix=f"stae-test-{time.time_ns()}")
        memory = ControllerStore(None)
        for nbytes in transfers:
            await store.record("cam", nbytes, 1000.0)
            await memory.record("cam", nbytes, 1000.0)
        store._mirror.clear()  # read back what Redis holds, not the mirror
        state = await store.get("cam")
        await store.close()
        return state, await memory.get("cam")

    remote, local = asyncio.run(run())
    assert remote is not None and local is not None
    assert remote.recent == local.recent and remote.latency == local.latency and remote.samples == local.samples
    assert len(local.latency) == 3 and len(local.recent) == 7


def test_small_payloads_measure_latency_not_rate() -> None:
    """Issue 12, item 9: 300-byte payloads taking 30-80 ms (CPU queueing on a loaded machine) once read as a
    0.01 Mbit/s link. They are latency samples now: the rate stays what large payloads measured, and the
    controller plans the small payloads' fixed cost on top."""
    state = BandwidthState()
    for _ in range(10):  # 100 kB in 80 ms: 10 Mbit/s
        bps, lat = split_sample(100_000, 80.0, state, CFG, prior_bps=10e6)
        state = update(state, bps, 0.0, CFG, lat)
    for ms in (30.0, 80.0, 45.0, 60.0, 35.0, 75.0):
        bps, lat = split_sample(300, ms, state, CFG, prior_bps=10e6)
        assert bps is None and lat is not None
        state = update(state, bps, 0.0, CFG, lat)
    assert estimate_bps(state, CFG) == pytest.approx(10e6)
    assert 45 < estimate_latency_ms(state, CFG) < 80  # median of the last five
    # A large payload is now timed net of that latency: 100 kB in 80 + 60 ms is still 10 Mbit/s.
    bps, lat = split_sample(100_000, 80.0 + estimate_latency_ms(state, CFG), state, CFG, prior_bps=10e6)
    assert lat is None and bps == pytest.approx(10e6)
    # One that took no more than the latency only bounds the rate from below (half its time on the wire).
    bps, _ = split_sample(100_000, 50.0, state, CFG, prior_bps=10e6)
    assert bps == pytest.approx(100_000 * 8 / 0.025)


def test_the_receivers_delivery_rate_keeps_cpu_load_out_of_the_rate() -> None:
    """Issue 23, item 6: a loaded camera (or decoder) stretches the exchange it times; the decoder's own figure of
    the rate the bytes arrived at is the rate sample then, and the stretch is a latency sample (it is a cost)."""
    state = BandwidthState()
    for extra_ms in (40.0, 5.0, 70.0, 20.0, 55.0, 10.0):  # 100 kB on a 10 Mbit/s link (80 ms) + CPU stalls
        bps, lat = split_sample(100_000, 80.0 + extra_ms, state, CFG, prior_bps=10e6, delivery_bps=10e6)
        assert bps == 10e6 and lat == pytest.approx(extra_ms)
        state = update(state, bps, 0.0, CFG, lat)
    assert estimate_bps(state, CFG) == pytest.approx(10e6)  # steady: the robust estimate is the rate itself
    assert estimate_latency_ms(state, CFG) == pytest.approx(20.0)  # median of the last five stalls
    # Without the receiver's figure the same stalls read as a slower link.
    bps, _ = split_sample(100_000, 80.0 + 70.0, BandwidthState(), CFG, prior_bps=10e6)
    assert bps is not None and bps < 6e6
    # A small payload gives no delivery figure worth having: still a latency sample.
    assert split_sample(300, 30.0, state, CFG, prior_bps=10e6, delivery_bps=1e9)[0] is None


def test_a_truly_slow_link_still_reads_slow_from_small_payloads() -> None:
    """Small payloads on a 0.5 Mbit/s link, before any rate sample: their whole time is latency (planned on
    top of every transfer), so the controller does not mistake the link for a fast one."""
    store = ControllerStore(None)
    controller = Controller(store, TEST_PROFILE, prior_bps=10e6)

    async def run() -> tuple[float | None, float, float]:
        for _ in range(5):
            await controller.observe("cam", 10_000, 160.0 + 5.0)  # 10 kB at 0.5 Mbit/s + 5 ms propagation
        bps, latency = await store.estimate("cam")
        choice = await controller.decide("cam", 1000.0)
        return bps, latency, choice.decision.predicted_ms

    bps, latency, predicted = asyncio.run(run())
    assert bps is None and latency == pytest.approx(165.0 - 8.0, abs=0.5)  # what 10 kB take at the prior rate
    assert predicted > latency


def test_small_payloads_faster_than_the_estimate_raise_it() -> None:
    """A link that recovered while the controller sent only small payloads: one that beats the current rate
    estimate is a rate sample (a lower bound), so the estimate climbs instead of staying stuck."""
    state = BandwidthState()
    for _ in range(10):
        state = update(state, 0.5e6, 0.0, CFG)
    bps, lat = split_sample(3_000, 6.0, state, CFG, prior_bps=10e6)  # 3 kB in 6 ms: 4 Mbit/s at least
    assert lat is None and bps == pytest.approx(4e6)
    state = update(state, bps, 0.0, CFG, lat)
    after = estimate_bps(state, CFG)
    assert after is not None and after > 0.5e6 * 0.5  # one surprise tempers it (robust); more samples lift it
    for _ in range(10):
        bps, lat = split_sample(3_000, 6.0, state, CFG, prior_bps=10e6)
        state = update(state, bps, 0.0, CFG, lat)
    assert estimate_bps(state, CFG) == pytest.approx(4e6)


def test_per_camera_state_is_bounded_and_expires() -> None:
    """Many new camera ids: the mirror keeps the most recent few, Redis forgets cameras past their TTL, and the
    listing reads every camera's state in one round trip (issue 12, item 5)."""
    _redis_or_skip()
    prefix = f"stae-test-{time.time_ns()}"

    async def run() -> tuple[int, list[str], list[str], int, dict[str, BandwidthState | None]]:
        store = ControllerStore(REDIS_URL, prefix=prefix, timeout_s=5.0, ttl_s=1, max_cameras=50)
        for i in range(120):
            await store.record(f"cam-{i:03d}", 125_000, 10.0)
        mirror = len(store._mirror)
        listed = await store.cameras()
        states = await store.get_many(listed[:3])
        await asyncio.sleep(2.2)
        await store.record("cam-late", 125_000, 10.0)  # an update prunes cameras older than the TTL
        after = await store.cameras()
        raw = store._redis
        assert raw is not None
        remaining = await raw.zcard(f"{prefix}:cameras-seen")
        await store.close()
        return mirror, listed, after, remaining, states

    mirror, listed, after, remaining, states = asyncio.run(run())
    assert mirror == 50  # only the 50 most recently used cameras in process
    assert len(listed) == 50  # the listing is capped too
    assert all(st is not None and st.samples == 1 for st in states.values())
    assert after == ["cam-late"] and remaining == 1  # the other 120 expired, in Redis and in the listing


def test_profile_and_idle_cameras_are_republished_after_redis_loses_its_data() -> None:
    """A Redis restart without persistence empties it: the next update publishes the profile and the state of
    every camera held in process again, idle ones included (issue 12, item 7)."""
    _redis_or_skip()
    prefix = f"stae-test-{time.time_ns()}"

    async def run() -> tuple[bool, bool, int]:
        store = ControllerStore(REDIS_URL, prefix=prefix, timeout_s=5.0)
        assert await store.put_profile(PROFILE)
        await store.record("idle-cam", 125_000, 10.0)
        await store.record("busy-cam", 125_000, 10.0)
        raw = store._redis
        assert raw is not None
        await raw.delete(*[k async for k in raw.scan_iter(f"{prefix}:*")])  # what a restart leaves
        await store.record("busy-cam", 125_000, 10.0)
        profile = await raw.get(f"{prefix}:profile:{PROFILE.model}")
        idle = await raw.hgetall(f"{prefix}:bw:idle-cam")
        seen = await raw.zcard(f"{prefix}:cameras-seen")
        await store.close()
        return profile is not None and "entries" in profile, idle.get("samples") == "1", seen

    has_profile, idle_back, seen = asyncio.run(run())
    assert has_profile and idle_back and seen == 2


def test_unreachable_redis_fails_fast_and_keeps_learning() -> None:
    async def run() -> tuple[float, float | None, bool]:
        store = ControllerStore("redis://127.0.0.1:1/0", timeout_s=0.1)  # nothing listens on port 1
        start = time.perf_counter()
        for _ in range(20):
            await store.record("cam", 125_000, 10.0)
            await store.estimate("cam")
        elapsed = time.perf_counter() - start
        up = store.status().redis_up
        est, _ = await store.estimate("cam")
        await store.close()
        return elapsed, est, up

    elapsed, est, up = asyncio.run(run())
    assert elapsed < 0.5  # one failed connect, then the store stops trying for a second
    assert up is False and est == pytest.approx(1e8)


def test_memory_only_store_and_controller() -> None:
    async def run() -> tuple[str, str, str]:
        store = ControllerStore(None)
        controller = Controller(store, PROFILE, prior_bps=1e9)
        first = await controller.decide("cam", 200)
        await controller.observe("cam", 1_000_000, 400.0)  # 20 Mbit/s measured
        second = await controller.decide("cam", 200)
        return first.bandwidth_source, second.bandwidth_source, store.status().backend

    first, second, backend = asyncio.run(run())
    assert (first, second, backend) == ("prior", "measured", "memory")


def test_controller_without_profile_says_so() -> None:
    with pytest.raises(NotReadyError, match="no profile"):
        asyncio.run(Controller(ControllerStore(None)).decide("cam", 100))


def test_one_error_tree() -> None:
    """Every error the library raises on purpose is an STAEError (a ValueError); not-ready is its own kind."""
    from stae.checkpoint import CheckpointError
    from stae.codec import CodecError
    from stae.models.videomae import VideoMAEError
    from stae.video import VideoError
    from stae.wire import PayloadError

    for error in (PayloadError, CodecError, VideoError, CheckpointError, VideoMAEError, NotReadyError):
        assert issubclass(error, STAEError) and issubclass(error, ValueError)
    assert not issubclass(PayloadError, NotReadyError)


def test_the_controller_and_the_simulator_run_without_torch() -> None:
    """stae.control and stae.simulate import and decide with PyTorch made unimportable (issue 14, item 2)."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from stae.control.policy import choose\n"
        "from stae.control.profile import Profile, ProfileEntry\n"
        "import stae.control.controller, stae.control.store, stae.simulate\n"
        "e = ProfileEntry(alpha=16, beta=1.0, accuracy=0.8, bytes_brotli=1e5, bytes_none=2e5, fa_ms=0, sa_ms=0,"
        " pack_ms=1, ee_ms=1, ed_ms=1, fr_ms=0, vit_ms=5)\n"
        "print(choose(Profile(model='m', accuracy_source='t', entries=(e,)), 1e7, 1000).alpha)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "16"
