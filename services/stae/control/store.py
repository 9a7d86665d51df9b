"""Where the controller keeps its state: Redis, shared by every encoder replica, mirrored in process.

Per camera, a hash ``{prefix}:bw:{camera}`` holds the estimator state; a Lua script applies each sample
atomically in one round trip (the same update as ``estimator.update``), so replicas never lose each other's
samples. The profile table lives at ``{prefix}:profile:{model}`` as JSON. State is bounded: each camera's hash
expires ``ttl_s`` after its last sample, the sorted set ``{prefix}:cameras-seen`` (score: last sample time)
drops cameras older than that on every update, and the in-process mirror keeps the ``max_cameras`` most recently
used cameras. The decoders' load, as their answers report it, is the hash ``{prefix}:decoder-load`` (one JSON
field per decoder, with the time of the report), read with the camera's state in one round trip.

Redis going away never fails a request: calls use short timeouts and no retries, a failure marks Redis down
for ``retry_after_s`` (no call is attempted meanwhile), and the in-process mirror keeps serving and learning.
When Redis answers again, whichever state is newer (Redis's or the mirror's) is the base for the next update,
so samples taken during the outage are not lost.
"""

from __future__ import annotations

import json
import logging
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import ValidationError
from redis.asyncio import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from stae.control.estimator import (
    BandwidthState,
    EstimatorConfig,
    estimate_bps,
    estimate_latency_ms,
    split_sample,
    update,
)
from stae.control.profile import Profile, ServerLoad

log = logging.getLogger(__name__)

_FIELDS = ("samples", "recent", "updated_at", "latency")

# estimator.update, atomically in Redis. ARGV: rate sample ('' for none), latency sample ('' for none), now,
# rate samples to keep, latency samples to keep, ttl, camera, then the caller's own state (updated_at, samples,
# recent, latency), used as the base when it is newer than Redis's (samples taken in process while Redis was
# away are carried over, not lost).
_UPDATE_LUA = """
local now, keep, keep_lat, ttl = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local cur = redis.call('HMGET', KEYS[1], 'samples', 'recent', 'updated_at', 'latency')
local n, recent, at, latency = tonumber(cur[1]) or 0, cur[2] or '', tonumber(cur[3]) or 0, cur[4] or ''
if tonumber(ARGV[8]) > at then
  n, recent, latency = tonumber(ARGV[9]), ARGV[10], ARGV[11]
end
local function f(x) return string.format('%.17g', x) end
local function push(sample, list, limit)
  if sample == '' then return list end
  local items = {f(tonumber(sample))}
  for v in string.gmatch(list, '[^,]+') do
    if #items >= limit then break end
    items[#items + 1] = v
  end
  return table.concat(items, ',')
end
n = n + 1
recent = push(ARGV[1], recent, keep)
latency = push(ARGV[2], latency, keep_lat)
redis.call('HSET', KEYS[1], 'samples', n, 'recent', recent, 'updated_at', f(now), 'latency', latency)
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('ZADD', KEYS[2], now, ARGV[7])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. f(now - ttl))
redis.call('EXPIRE', KEYS[2], ttl)
return {tostring(n), recent, f(now), latency, redis.call('EXISTS', KEYS[3])}
"""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _csv(values: tuple[float, ...]) -> str:
    return ",".join(repr(v) for v in values)


def _state(raw: Mapping[bytes | str, bytes | str]) -> BandwidthState:
    fields = {_text(k): _text(v) for k, v in raw.items()}
    return BandwidthState(
        samples=int(float(fields.get("samples", 0))),
        recent=tuple(float(v) for v in fields.get("recent", "").split(",") if v),
        updated_at=float(fields.get("updated_at", 0.0)),
        latency=tuple(float(v) for v in fields.get("latency", "").split(",") if v),
    )


LOAD_TTL_S = 60  # the decoder-load hash goes when no answer has refreshed it for this long


@dataclass(frozen=True)
class PublishedLoad:
    """A decoder's load and when (unix time) an answer reported it."""

    load: ServerLoad
    at: float

    def wait_ms(self, alpha: int, now: float) -> float:
        """Predicted wait before a request of α starts, aged by the time since the report (the queue drains)."""
        waits = self.load.wait_ms
        w = waits.get(alpha, max(waits.values(), default=0.0))
        return max(0.0, w - (now - self.at) * 1e3)

    def to_json(self) -> str:
        return json.dumps({"at": self.at, "load": self.load.model_dump(mode="json")})

    @staticmethod
    def from_json(doc: str) -> PublishedLoad | None:
        try:
            raw = json.loads(doc)
            return PublishedLoad(ServerLoad.model_validate(raw["load"]), float(raw["at"]))
        except (ValueError, KeyError, TypeError, ValidationError):
            return None  # another version's record: ignored, the next answer rewrites it


@dataclass(frozen=True)
class StoreStatus:
    backend: str  # "redis" or "memory" (no Redis configured)
    redis_up: bool
    last_error: str | None


class ControllerStore:
    def __init__(
        self,
        redis_url: str | None,
        estimator: EstimatorConfig | None = None,
        *,
        timeout_s: float = 0.2,
        retry_after_s: float = 1.0,
        prefix: str = "stae",
        ttl_s: int = 7 * 24 * 3600,
        max_cameras: int = 10_000,
    ) -> None:
        self.estimator = estimator or EstimatorConfig()
        self.prefix = prefix
        self.ttl_s = ttl_s
        self.max_cameras = max_cameras
        self.retry_after_s = retry_after_s
        self._mirror: OrderedDict[str, BandwidthState] = OrderedDict()  # least recently used first
        self._profile: Profile | None = None
        self._loads: dict[str, PublishedLoad] = {}  # decoder -> its newest known load
        self._down_until = 0.0
        self._last_error: str | None = None
        self._redis: Redis | None = None
        if redis_url:
            self._redis = Redis.from_url(
                redis_url,
                socket_timeout=timeout_s,
                socket_connect_timeout=timeout_s,
                retry=Retry(NoBackoff(), 0),
                decode_responses=True,
            )
            self._update_script = self._redis.register_script(_UPDATE_LUA)

    def _key(self, camera: str) -> str:
        return f"{self.prefix}:bw:{camera}"

    def _available(self) -> Redis | None:
        return self._redis if self._redis is not None and time.monotonic() >= self._down_until else None

    def _failed(self, exc: Exception) -> None:
        if self._last_error is None:
            log.warning("Redis unavailable (%s); using the in-process state for %.1f s", exc, self.retry_after_s)
        self._last_error = f"{type(exc).__name__}: {exc}"
        self._down_until = time.monotonic() + self.retry_after_s

    def _recovered(self) -> None:
        if self._last_error is not None:
            log.info("Redis is back")
        self._last_error = None

    def _remember(self, camera: str, state: BandwidthState) -> None:
        self._mirror[camera] = state
        self._mirror.move_to_end(camera)
        while len(self._mirror) > self.max_cameras:
            self._mirror.popitem(last=False)

    def _newer(self, camera: str, remote: BandwidthState | None) -> BandwidthState | None:
        local = self._mirror.get(camera)
        if remote is None or (local is not None and local.updated_at > remote.updated_at):
            return local
        return remote

    async def get(self, camera: str) -> BandwidthState | None:
        """The newest known state of ``camera`` (Redis or the in-process mirror)."""
        return (await self._read(camera, loads=False))[0]

    async def _read(self, camera: str, loads: bool) -> tuple[BandwidthState | None, dict[str, PublishedLoad]]:
        """``camera``'s newest state and (with ``loads``) every decoder's newest published load, from Redis in one
        round trip, or from process memory."""
        redis = self._available()
        if redis is not None:
            try:
                async with redis.pipeline(transaction=False) as pipe:
                    pipe.hgetall(self._key(camera))
                    if loads:
                        pipe.hgetall(self._loads_key())
                    fields, *raw = await pipe.execute()
                self._recovered()
                state = self._newer(camera, _state(fields) if fields else None)
                if state is not None:
                    self._remember(camera, state)
                for decoder, doc in (raw[0] if raw else {}).items():
                    self._newer_load(_text(decoder), PublishedLoad.from_json(_text(doc)))
                return state, dict(self._loads)
            except (RedisError, OSError) as exc:
                self._failed(exc)
        return self._mirror.get(camera), dict(self._loads)

    async def estimate(self, camera: str) -> tuple[float | None, float]:
        """(rate in bit/s, None before the first rate sample; latency in ms) to plan ``camera``'s next transfer."""
        state = await self.get(camera)
        return estimate_bps(state, self.estimator), estimate_latency_ms(state, self.estimator)

    async def plan_inputs(self, camera: str) -> tuple[float | None, float, dict[str, PublishedLoad]]:
        """:meth:`estimate` and every decoder's published load, in one Redis round trip."""
        state, loads = await self._read(camera, loads=True)
        return estimate_bps(state, self.estimator), estimate_latency_ms(state, self.estimator), loads

    # --- the decoders' load, shared by every encoder ---------------------------------------------------------
    def _loads_key(self) -> str:
        return f"{self.prefix}:decoder-load"

    def _newer_load(self, decoder: str, load: PublishedLoad | None) -> None:
        if load is not None and (decoder not in self._loads or self._loads[decoder].at < load.at):
            self._loads[decoder] = load

    async def put_load(self, decoder: str, load: ServerLoad) -> None:
        """Publish a decoder's load as an answer reported it (the hash ``{prefix}:decoder-load``, one field per
        decoder; newer reports win, in process at once and in Redis when it answers)."""
        published = PublishedLoad(load, time.time())
        self._newer_load(decoder, published)
        redis = self._available()
        if redis is None:
            return
        try:
            async with redis.pipeline(transaction=False) as pipe:
                pipe.hset(self._loads_key(), decoder, published.to_json())
                pipe.expire(self._loads_key(), LOAD_TTL_S)
                await pipe.execute()
            self._recovered()
        except (RedisError, OSError) as exc:
            self._failed(exc)

    async def record(
        self,
        camera: str,
        payload_bytes: int,
        transfer_ms: float,
        prior_bps: float = 10e6,
        delivery_bps: float | None = None,
    ) -> BandwidthState | None:
        """Fold one transfer into the camera's state (``estimator.split_sample``; ``prior_bps``: the rate assumed
        before the camera's first rate sample; ``delivery_bps``: the receiver's measured arrival rate, if any);
        None when the sample carries no information."""
        base = self._mirror.get(camera)
        bps, latency_ms = split_sample(payload_bytes, transfer_ms, base, self.estimator, prior_bps, delivery_bps)
        if bps is None and latency_ms is None:
            return None
        now = time.time()
        redis = self._available()
        if redis is not None:
            try:
                state = await self._record_redis(redis, camera, bps, latency_ms, now)
                self._recovered()
                self._remember(camera, state)
                return state
            except (RedisError, OSError) as exc:
                self._failed(exc)
        state = update(self._mirror.get(camera) or BandwidthState(), bps, now, self.estimator, latency_ms)
        self._remember(camera, state)
        return state

    async def _record_redis(
        self, redis: Redis, camera: str, bps: float | None, latency_ms: float | None, now: float
    ) -> BandwidthState:
        base = self._mirror.get(camera) or BandwidthState()
        est = self.estimator
        args: list[str | float | int] = ["" if bps is None else bps, "" if latency_ms is None else latency_ms]
        args += [now, est.keep, est.window, self.ttl_s, camera]
        args += [base.updated_at, base.samples, _csv(base.recent), _csv(base.latency)]
        keys = [self._key(camera), f"{self.prefix}:cameras-seen", self._profile_key()]
        out = await self._update_script(keys=keys, args=args, client=redis)
        if not int(out[4]) and self._profile is not None:  # Redis lost its data (a restart): publish again
            await self._republish(redis)
        return _state(dict(zip(_FIELDS, out[:4], strict=True)))

    def _profile_key(self) -> str:
        return f"{self.prefix}:profile:{self._profile.model if self._profile else '-'}"

    async def _republish(self, redis: Redis) -> None:
        """The profile and every camera state held in process, written back in one round trip."""
        assert self._profile is not None
        log.info("Redis has no profile (restarted?): publishing it and %d cameras' state again", len(self._mirror))
        async with redis.pipeline(transaction=False) as pipe:
            pipe.set(self._profile_key(), self._profile.model_dump_json())
            for camera, st in self._mirror.items():
                key = self._key(camera)
                recent, latency, at = _csv(st.recent), _csv(st.latency), repr(st.updated_at)
                pipe.hset(key, mapping={"samples": st.samples, "recent": recent, "updated_at": at, "latency": latency})
                pipe.expire(key, self.ttl_s)
                pipe.zadd(f"{self.prefix}:cameras-seen", {camera: st.updated_at})
            await pipe.execute()

    async def cameras(self) -> list[str]:
        """Cameras with a sample in the last ``ttl_s`` (at most ``max_cameras``, the most recent)."""
        redis = self._available()
        since = time.time() - self.ttl_s
        names = {camera for camera, state in self._mirror.items() if state.updated_at >= since}
        if redis is not None:
            try:
                seen = await redis.zrevrangebyscore(
                    f"{self.prefix}:cameras-seen", "+inf", since, start=0, num=self.max_cameras
                )
                names |= {str(n) for n in seen}
                self._recovered()
            except (RedisError, OSError) as exc:
                self._failed(exc)
        return sorted(names)[: self.max_cameras]

    async def get_many(self, cameras: list[str]) -> dict[str, BandwidthState | None]:
        """The newest known state of each camera, from Redis in one round trip (or the mirror)."""
        redis = self._available()
        remote: list[Mapping[bytes | str, bytes | str]] = []
        if redis is not None:
            try:
                async with redis.pipeline(transaction=False) as pipe:
                    for camera in cameras:
                        pipe.hgetall(self._key(camera))
                    remote = await pipe.execute()
                self._recovered()
            except (RedisError, OSError) as exc:
                self._failed(exc)
                remote = []
        if not remote:
            return {c: self._mirror.get(c) for c in cameras}
        return {c: self._newer(c, _state(r) if r else None) for c, r in zip(cameras, remote, strict=True)}

    async def put_profile(self, profile: Profile) -> bool:
        """Publish the profile table in Redis (for other replicas and operators); False if Redis is down. It is
        published again whenever an update finds it gone (Redis restarted without persistence)."""
        self._profile = profile
        redis = self._available()
        if redis is None:
            return False
        try:
            await redis.set(self._profile_key(), profile.model_dump_json())
            self._recovered()
            return True
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return False

    async def ping(self) -> bool:
        """Whether Redis answers now (False without one); a failure counts like any other call's."""
        if self._redis is None:
            return False
        try:
            await self._redis.ping()
            self._recovered()
            return True
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return False

    def status(self) -> StoreStatus:
        if self._redis is None:
            return StoreStatus("memory", False, None)
        return StoreStatus("redis", self._last_error is None, self._last_error)

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
