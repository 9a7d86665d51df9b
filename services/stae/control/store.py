"""Where the controller keeps its state: Redis, shared by every encoder replica, mirrored in process.

Per camera, a hash ``{prefix}:bw:{camera}`` holds the estimator state; it is updated with an optimistic
transaction (WATCH / MULTI / EXEC, retried on conflict), so replicas never lose each other's samples. The
profile table lives at ``{prefix}:profile:{model}`` as JSON.

Redis going away never fails a request: calls use short timeouts and no retries, a failure marks Redis down
for ``retry_after_s`` (no call is attempted meanwhile), and the in-process mirror keeps serving and learning.
When Redis answers again, whichever state is newer (Redis's or the mirror's) is the base for the next update,
so samples taken during the outage are not lost.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError, WatchError
from redis.retry import Retry

from stae.control.estimator import BandwidthState, EstimatorConfig, estimate_bps, sample_bps, update
from stae.control.profile import Profile

log = logging.getLogger(__name__)


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
    ) -> None:
        self.estimator = estimator or EstimatorConfig()
        self.prefix = prefix
        self.ttl_s = ttl_s
        self.retry_after_s = retry_after_s
        self._mirror: dict[str, BandwidthState] = {}
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

    def _newer(self, camera: str, remote: BandwidthState | None) -> BandwidthState | None:
        local = self._mirror.get(camera)
        if remote is None or (local is not None and local.updated_at > remote.updated_at):
            return local
        return remote

    async def get(self, camera: str) -> BandwidthState | None:
        """The newest known state of ``camera`` (Redis or the in-process mirror)."""
        redis = self._available()
        if redis is not None:
            try:
                fields = await redis.hgetall(self._key(camera))
                self._recovered()
                remote = BandwidthState.from_fields(fields) if fields else None
                state = self._newer(camera, remote)
                if state is not None:
                    self._mirror[camera] = state
                return state
            except (RedisError, OSError) as exc:
                self._failed(exc)
        return self._mirror.get(camera)

    async def estimate(self, camera: str) -> float | None:
        return estimate_bps(await self.get(camera), self.estimator)

    async def record(self, camera: str, payload_bytes: int, transfer_ms: float) -> BandwidthState | None:
        """Fold one transfer into the camera's state; None when the sample carries no information."""
        bps = sample_bps(payload_bytes, transfer_ms, self.estimator)
        if bps is None:
            return None
        now = time.time()
        redis = self._available()
        if redis is not None:
            try:
                state = await self._record_redis(redis, camera, bps, now)
                self._recovered()
                self._mirror[camera] = state
                return state
            except (RedisError, OSError) as exc:
                self._failed(exc)
        state = update(self._mirror.get(camera) or BandwidthState(), bps, now, self.estimator)
        self._mirror[camera] = state
        return state

    async def _record_redis(self, redis: Redis, camera: str, bps: float, now: float) -> BandwidthState:
        key = self._key(camera)
        for _ in range(5):
            async with redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(key)
                    fields = await pipe.hgetall(key)
                    base = self._newer(camera, BandwidthState.from_fields(fields) if fields else None)
                    state = update(base or BandwidthState(), bps, now, self.estimator)
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.hset(key, mapping=dict(state.to_fields()))  # type: ignore[arg-type]
                    pipe.expire(key, self.ttl_s)
                    pipe.sadd(f"{self.prefix}:cameras", camera)
                    await pipe.execute()
                    return state
                except WatchError:
                    continue  # another replica updated this camera meanwhile: read again
        raise RedisError(f"could not update {key}: too much contention")

    async def cameras(self) -> list[str]:
        redis = self._available()
        names = set(self._mirror)
        if redis is not None:
            try:
                names |= {str(n) for n in await redis.smembers(f"{self.prefix}:cameras")}
                self._recovered()
            except (RedisError, OSError) as exc:
                self._failed(exc)
        return sorted(names)

    async def put_profile(self, profile: Profile) -> bool:
        """Publish the profile table in Redis (for other replicas and operators); False if Redis is down."""
        redis = self._available()
        if redis is None:
            return False
        try:
            await redis.set(f"{self.prefix}:profile:{profile.model}", profile.model_dump_json())
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
