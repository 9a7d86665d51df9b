"""The decoder's scheduler (decoder_service.batching): earliest deadline first, batches by α, admission that
refuses at once what cannot finish in time, nothing computed after its deadline, and the load it publishes.
The forward pass is the seam: a function that sleeps a fixed time per batch and records what it ran."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from decoder_service.batching import Batcher, CannotMeetDeadline, DeadlineMissed
from stae.pipeline import Prediction
from stae.scheduling import CostModel, schedule

BATCH_MS = 60.0


@dataclass(frozen=True)
class Clip:
    """Stands in for a decoded payload: the scheduler reads only its α."""

    alpha: int
    name: str


class Forward:
    def __init__(self, batch_ms: float = BATCH_MS) -> None:
        self.batch_ms = batch_ms
        self.batches: list[list[str]] = []

    def __call__(self, tensors: Sequence[Clip], top_k: int, timings: dict[str, float]) -> list[Prediction]:
        self.batches.append([t.name for t in tensors])
        time.sleep(self.batch_ms / 1e3)
        return [Prediction([t.name], [1.0], [0], list(range(t.alpha)), 1.0) for t in tensors]


def _batcher(forward: Forward, max_batch: int = 4) -> Batcher:
    # share 0: a batch costs one pass whatever its size, as the fake forward does
    cost = CostModel({16: forward.batch_ms, 4: forward.batch_ms}, share=0.0)
    return Batcher(forward, max_batch=max_batch, max_delay_ms=0, max_queue=64, cost=cost)  # type: ignore[arg-type]


async def _started(b: Batcher) -> None:
    """Wait until the worker runs a batch (so what is submitted next queues behind it)."""
    for _ in range(500):
        if b.load([]).busy:
            return
        await asyncio.sleep(0.002)
    raise AssertionError("the worker never started a batch")


def test_earliest_deadline_runs_first_and_batches_group_by_alpha() -> None:
    async def main() -> list[list[str]]:
        forward = Forward(batch_ms=300)  # long enough that the three below queue behind the blocker
        b = _batcher(forward)
        b.start()
        try:
            first = asyncio.create_task(b.submit(Clip(16, "blocker"), 1, 10_000))
            await _started(b)
            late = asyncio.create_task(b.submit(Clip(16, "due-late"), 1, 5_000))
            soon = asyncio.create_task(b.submit(Clip(4, "due-soon"), 1, 2_000))
            soon16 = asyncio.create_task(b.submit(Clip(16, "due-soon-16"), 1, 3_000))
            await asyncio.gather(first, late, soon, soon16)
            return forward.batches
        finally:
            await b.stop()

    batches = asyncio.run(main())
    # The blocker ran alone; then α=4 (due first) alone; then both α=16 requests in one pass, due order.
    assert batches == [["blocker"], ["due-soon"], ["due-soon-16", "due-late"]]


def test_a_request_that_cannot_finish_in_time_is_refused_at_once() -> None:
    async def main() -> tuple[float, CannotMeetDeadline]:
        forward = Forward(batch_ms=200)
        b = _batcher(forward, max_batch=1)
        b.start()
        try:
            tasks = [asyncio.create_task(b.submit(Clip(16, f"q{i}"), 1, 10_000)) for i in range(3)]
            await _started(b)
            began = time.perf_counter()
            with pytest.raises(CannotMeetDeadline) as refused:
                await b.submit(Clip(16, "tight"), 1, 150)  # 3 x 200 ms ahead of it
            took = time.perf_counter() - began
            await asyncio.gather(*tasks)
            return took, refused.value
        finally:
            await b.stop()

    took, refused = asyncio.run(main())
    assert took < 0.05  # at once, not after waiting
    assert refused.retry_after_s >= 1 and "after its deadline" in str(refused)


def test_an_accepted_request_is_not_pushed_past_its_deadline() -> None:
    async def main() -> list[list[str]]:
        forward = Forward(batch_ms=500)
        b = _batcher(forward, max_batch=1)
        b.start()
        try:
            blocker = asyncio.create_task(b.submit(Clip(16, "blocker"), 1, 10_000))
            await _started(b)
            accepted = asyncio.create_task(b.submit(Clip(16, "accepted"), 1, 1250))  # behind the blocker: fits
            await asyncio.sleep(0)
            with pytest.raises(CannotMeetDeadline, match="accepted request"):
                # Due earlier, so it would run first: it fits, but 'accepted' would then finish 1,000 ms after
                # the blocker's start plus however much of the blocker is left (over 250 ms: late).
                await b.submit(Clip(16, "pushy"), 1, 1050)
            await asyncio.gather(blocker, accepted)
            return forward.batches
        finally:
            await b.stop()

    assert asyncio.run(main()) == [["blocker"], ["accepted"]]


def test_nothing_is_computed_after_its_deadline_while_others_wait() -> None:
    async def main() -> tuple[list[list[str]], BaseException | None]:
        forward = Forward(batch_ms=150)
        # A cost model that thinks passes are instant admits a request it cannot serve in time.
        cost = CostModel({16: 0.1, 4: 0.1}, share=0.0)
        b = Batcher(forward, max_batch=1, max_delay_ms=0, max_queue=8, cost=cost)  # type: ignore[arg-type]
        b.start()
        try:
            blocker = asyncio.create_task(b.submit(Clip(16, "blocker"), 1, 10_000))
            await _started(b)
            doomed = asyncio.create_task(b.submit(Clip(16, "doomed"), 1, 50))
            other = asyncio.create_task(b.submit(Clip(4, "on-time"), 1, 10_000))
            results = await asyncio.gather(blocker, doomed, other, return_exceptions=True)
            return forward.batches, results[1] if isinstance(results[1], BaseException) else None
        finally:
            await b.stop()

    batches, error = asyncio.run(main())
    assert batches == [["blocker"], ["on-time"]]
    assert isinstance(error, DeadlineMissed) and error.retry_after_s >= 1


def test_an_idle_server_answers_a_late_request() -> None:
    """Nothing else waits: computing it delays no one, and the camera gets its (late) answer."""

    async def main() -> list[list[str]]:
        forward = Forward(batch_ms=100)
        b = _batcher(forward)
        b.start()
        try:
            await b.submit(Clip(16, "tight"), 1, 10)  # admitted (idle), finishes ~90 ms late
            return forward.batches
        finally:
            await b.stop()

    assert asyncio.run(main()) == [["tight"]]


def test_overload_shows_in_the_time_per_request_not_in_the_queue() -> None:
    """Refused requests leave the real queue short; the rate offered shrinks the published time per request
    below what one costs, so controllers move to cheaper budgets."""

    async def main() -> tuple[float | None, float, int, int]:
        forward = Forward(batch_ms=100)
        b = _batcher(forward, max_batch=1)
        b.start()
        try:
            first = asyncio.create_task(b.submit(Clip(16, "running"), 1, 10_000))
            await _started(b)
            refused = 0
            for i in range(30):
                b.offer()
                try:
                    await b.submit(Clip(16, f"r{i}"), 1, 150)
                except CannotMeetDeadline:
                    refused += 1
            load = b.load([16])
            await first
            return load.budget_ms, load.cost_ms[16], load.queue_depth, refused
        finally:
            await b.stop()

    budget, cost, depth, refused = asyncio.run(main())
    assert refused == 30 and depth == 0
    # 30 requests offered at once read as ~15 per second (a 2-s time constant): 0.9 s / 15 = 60 ms per request,
    # below the 100 ms one costs (batches of one)
    assert budget is not None and budget < cost


def test_load_reports_the_wait_a_new_request_would_see() -> None:
    async def main() -> tuple[float, float, int, float]:
        forward = Forward(batch_ms=100)
        b = _batcher(forward, max_batch=2)
        b.start()
        try:
            idle = b.load([16]).wait_ms[16]
            tasks = [asyncio.create_task(b.submit(Clip(16, f"q{i}"), 1, 10_000)) for i in range(5)]
            await _started(b)  # q0 and q1 run; q2, q3 and q4 queue as a batch of 2 and one of 1
            loaded = b.load([16, 4])
            await asyncio.gather(*tasks)
            return idle, loaded.wait_ms[16], loaded.queue_depth, loaded.wait_ms[4]
        finally:
            await b.stop()

    idle, wait16, depth, wait4 = asyncio.run(main())
    assert idle == 0.0 and depth == 3
    # α 16 joins q4's batch: behind the running pass and one more (~200 ms); α 4 waits for all three (~300 ms)
    assert 150 <= wait16 <= 250 + 5 and 200 <= wait4 <= 300 + 5


def test_schedule_replays_the_worker() -> None:
    cost = CostModel({16: 10.0, 4: 5.0}, share=0.5)
    assert cost.batch_ms(16, 3) == pytest.approx(20.0) and cost.batch_ms(8, 1) == 10.0  # α 8: the next profiled
    cost.observe(16, 1, 20.0)
    assert cost.single_ms[16] == pytest.approx(12.0)  # moves a fifth of the way
    cost.observe(16, 3, 12.0 * 3)  # no saving from batching: the share moves towards 1
    assert 0.5 < cost.share < 1.0
    assert cost.batch_ms(16, 3) > 12.0 * 2  # α 16 follows its own batches
    before4 = cost.batch_ms(4, 3)
    cost.observe(4, 3, 5.0 * 1.2)  # α 4 batches well: its own share falls, α 16's is its own
    assert cost.batch_ms(4, 3) < before4 and cost.shares[16] > 0.5
    assert schedule([], 1.0, cost, 4) == []


def test_late_requests_left_alone_are_answered_not_forgotten() -> None:
    """Only late requests queued (nothing on time waits behind them): every one is computed and answered."""

    async def main() -> list[list[str]]:
        forward = Forward(batch_ms=200)
        cost = CostModel({16: 0.1, 4: 0.1}, share=0.0)  # admits what will be late
        b = Batcher(forward, max_batch=1, max_delay_ms=0, max_queue=8, cost=cost)  # type: ignore[arg-type]
        b.start()
        try:
            blocker = asyncio.create_task(b.submit(Clip(16, "blocker"), 1, 10_000))
            await _started(b)
            late = [asyncio.create_task(b.submit(Clip(4, f"late{i}"), 1, 20)) for i in range(2)]
            await asyncio.wait_for(asyncio.gather(blocker, *late), 5)
            return forward.batches
        finally:
            await b.stop()

    assert asyncio.run(main()) == [["blocker"], ["late0"], ["late1"]]


def test_load_publishes_the_time_per_request_the_offered_rate_leaves() -> None:
    """Issue 23: every request offered (admitted or refused) counts towards the decoder's offered rate; its
    published budget is the target utilisation's second shared by that rate, beside each α's full-batch cost."""

    async def main() -> tuple[float | None, float | None, dict[int, float], dict[int, float]]:
        forward = Forward(batch_ms=5)
        b = _batcher(forward, max_batch=4)
        b.start()
        try:
            before = b.load([16, 4]).budget_ms
            for i in range(40):  # 40 requests over ~1 s: ~40 per second offered (the service calls offer())
                b.offer()
                await b.submit(Clip(16 if i % 2 else 4, f"r{i}"), 1, 10_000)
                await asyncio.sleep(0.02)
            load = b.load([16, 4])
            model = {a: round(b.cost.busy_share_s(a, 4) * 1e3, 3) for a in (16, 4)}
            return before, load.budget_ms, load.cost_ms, model
        finally:
            await b.stop()

    before, budget, cost, model = asyncio.run(main())
    assert before is None  # nothing offered yet: no budget to publish
    assert budget is not None
    # ~40/s offered for ~1 s (DecayingRate scales its count by how far it has filled): 0.9 s / rate ~ 22 ms
    assert 15 <= budget <= 35
    # what one request costs at a full batch, as the cost model learns it from the batches run (share 0 in
    # _batcher: a batch of 4 costs one pass of >= 5 ms, so >= 1.25 ms each)
    assert cost == model and all(c >= 1.25 for c in cost.values())


def test_offered_rate_reads_a_steady_rate_and_decays() -> None:
    from stae.scheduling import DecayingRate

    rate = DecayingRate(tau_s=2.0)
    for k in range(500):  # 50 per second for 10 s
        rate.add(k / 50)
    assert 48 <= rate.per_s(10.0) <= 51
    assert rate.budget_ms(10.0, 0.9) == pytest.approx(900 / rate.per_s(10.0), rel=1e-3)
    assert rate.per_s(20.0) < 1  # ten seconds without a request


def test_calibration_takes_the_unmodelled_work_off_the_time_per_request() -> None:
    """A CPU decoder's published time per request loses the CPU time its cost model does not account for, spread
    over the offered requests; the expectation is computed from this process's own CPU clock over the same
    interval, so a loaded machine (which gives this process less CPU) changes both sides alike."""
    from decoder_service.serving import Calibration

    quiet = Calibration(cores=1, tau_s=0.5)
    time.sleep(0.2)
    assert quiet.budget_ms(time.perf_counter(), 10.0, 0.9) == 10.0  # an idle server has nothing to calibrate

    cal = Calibration(cores=1, tau_s=0.5)
    start = now = time.perf_counter()
    mark: tuple[float, float] | None = None  # (time, CPU) 2 s in: the budget averages over the last ~1 s
    while now - start < 3.0:  # 6 time constants of spinning, modelled as 8 ms of work every 10 ms
        tick = now
        while now - tick < 0.01:
            now = time.perf_counter()
        cal.answered(now, 8.0)
        budget = cal.budget_ms(now, 10.0, 0.9)
        if mark is None and now - start >= 2.0:
            mark = (now, time.process_time())
    assert mark is not None
    busy = (time.process_time() - mark[1]) / (now - mark[0])
    assert busy > 0.1, "this process got almost no CPU"
    # 10 ms per request at 90% busy is 90 requests/s; (busy x 1 s - 800 ms modelled) / 90 comes off each one
    expected = min(max(10.0 - (busy * 1e3 - 800.0) / 90.0, 2.5), 40.0)
    assert budget == pytest.approx(expected, rel=0.1)


def test_weighted_round_robin_interleaves_by_weight_and_skips_zero() -> None:
    from stae.scheduling import WeightedRoundRobin

    spread = WeightedRoundRobin(3)
    picks = [spread.pick([3.0, 1.0, 0.0]) for _ in range(40)]
    assert picks.count(0) == 30 and picks.count(1) == 10 and 2 not in picks
    # evenly interleaved: never more than three of target 0 in a row
    assert "0000" not in "".join(map(str, picks))


def test_edge_client_keeps_at_most_its_connections_in_flight_and_takes_the_wait_off_the_deadline() -> None:
    """The camera's client of a decoder (stae.edge.EdgeClient) over real HTTP on loopback: a server that takes
    50 ms per request and answers 503 + Retry-After sees at most ``max_connections`` requests at once, every
    request is answered, and one that waited for a slot sends the deadline it has left, not the one it was given."""
    from stae.edge import EdgeClient
    from stae.errors import RefusedError

    deadlines: list[float] = []
    in_flight, peak, connections = 0, 0, 0

    async def main() -> list[object]:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal in_flight, peak, connections
            connections += 1
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:  # the client closed its kept-alive connection
                    return
                lines = head.decode().split("\r\n")[1:]
                fields = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines if ": " in line)}
                await reader.readexactly(int(fields.get("content-length", "0")))
                in_flight += 1
                peak = max(peak, in_flight)
                deadlines.append(float(fields["x-deadline-ms"]))
                await asyncio.sleep(0.05)
                in_flight -= 1
                body = b'{"detail": "busy"}'
                writer.write(
                    b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
                )
                await writer.drain()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            async with EdgeClient(f"http://127.0.0.1:{port}", "t", timeout_s=10, max_connections=2) as client:
                results = await asyncio.gather(
                    *(client.infer(b"x" * 100, 1, f"r{i}", deadline_ms=5000.0) for i in range(6)),
                    return_exceptions=True,
                )
        finally:
            server.close()
        return results

    results = asyncio.run(main())
    assert all(isinstance(r, RefusedError) and r.retry_after_s == 2.0 for r in results), results
    assert peak == 2 and connections == 2  # two kept-alive connections served all six
    assert len(deadlines) == 6 and max(deadlines) <= 5000.0
    assert min(deadlines) <= 5000.0 - 90  # the last two waited for two 50-ms turns before they were sent
