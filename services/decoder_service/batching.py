"""Dynamic batching, earliest deadline first: concurrent requests share one forward pass, and the decoder refuses at
once what it cannot finish in time.

Each request carries the time by which its answer is due (the encoder's ``X-Deadline-Ms``; without one, the
service's request timeout). The worker takes the queued request due first and the others of the same number of kept
frames α behind it, in deadline order, up to ``max_batch`` (the ViT's token count depends on α, so requests of
different α are grouped, not padded), and runs them in one forward pass on a single worker thread (one model, one
device, no contention). With ``max_delay = 0`` (the default) nothing waits for more: batches form from the requests
that arrived while the previous pass ran, so a lone request pays no batching delay and a loaded server runs full
batches. A request whose deadline has passed before its batch starts is refused (:class:`DeadlineMissed`), not
computed, while requests that can still be on time wait; an idle server (nothing else queued or running) serves any
request, late or not: computing it delays no one, and its camera gets an answer (marked late by the encoder).

Admission: a :class:`~stae.scheduling.CostModel` predicts each batch's time from the start-up profile and every
batch since; ``submit`` replays the worker's schedule over the queue with the new request in it, and (unless idle)
refuses it (:class:`CannotMeetDeadline`, 503 with Retry-After) when it would finish after its deadline or would push
an already accepted request past its own. :meth:`Batcher.load` is that same schedule summarised: the queue depth
and, per α, how long a new request would wait before its batch starts; with the rate of requests offered
(:meth:`Batcher.offer`, by the service for every payload it parsed, admitted or refused) and the cost model, the
time each request may cost the server for that rate to keep it at its target utilisation, and what one of each α
costs it when busy.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import math
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from stae.control.profile import ServerLoad
from stae.errors import NotReadyError
from stae.pipeline import Prediction, Received
from stae.scheduling import CostModel, DecayingRate, Job, refusal, schedule, take_batch, waits

RunBatch = Callable[[Sequence[Received], int, dict[str, float]], list[Prediction]]


class QueueFull(NotReadyError):
    """The batching queue is at capacity: retry later."""

    def __init__(self, message: str, retry_after_s: float = 1.0) -> None:
        super().__init__(f"decoder busy: {message}", retry_after_s=retry_after_s)


class CannotMeetDeadline(QueueFull):
    """The schedule predicts this request (or one already accepted, were this one admitted) would be late."""


class DeadlineMissed(NotReadyError):
    """The request's deadline passed while it waited: it was not computed."""

    def __init__(self, late_ms: float) -> None:
        super().__init__(f"deadline passed {late_ms:.0f} ms before the request's batch could start", 1.0)


@dataclass
class _Item:
    due: float  # perf_counter() time by which the answer is due
    seq: int
    tensor: Received = field(compare=False)
    top_k: int = field(compare=False)
    enqueued: float = field(compare=False)
    future: asyncio.Future[BatchResult] = field(compare=False)

    def __lt__(self, other: _Item) -> bool:
        return (self.due, self.seq) < (other.due, other.seq)

    @property
    def alpha(self) -> int:
        return self.tensor.alpha


@dataclass(frozen=True)
class _Probe:
    due: float
    alpha: int


@dataclass(frozen=True)
class BatchResult:
    prediction: Prediction
    queue_ms: float
    batch_size: int
    timings_ms: dict[str, float] = field(default_factory=dict)


class Batcher:
    def __init__(
        self,
        run: RunBatch,
        *,
        max_batch: int,
        max_delay_ms: float,
        max_queue: int,
        cost: CostModel | None = None,
        default_deadline_s: float = 30.0,
        target_utilisation: float = 0.9,
    ) -> None:
        self.run = run
        self.max_batch = max_batch
        self.max_delay_s = max_delay_ms / 1e3
        self.max_queue = max_queue
        self.cost = cost or CostModel({})
        self.default_deadline_s = default_deadline_s
        self._queue: list[_Item] = []  # in deadline order (due, then arrival)
        self._seq = itertools.count()
        self._arrived = asyncio.Event()
        self._busy_until = 0.0  # predicted end of the running batch (perf_counter time); 0 when idle
        self._running = False
        self.offered = DecayingRate()
        self.target_utilisation = target_utilisation
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="infer")
        self._task: asyncio.Task[None] | None = None
        self.on_batch: Callable[[int, dict[str, float]], None] | None = None
        self.on_missed: Callable[[int], None] | None = None

    @property
    def depth(self) -> int:
        return len(self._queue)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="batcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        for item in self._queue:
            if not item.future.done():
                item.future.set_exception(QueueFull("the service is shutting down"))
        self._queue.clear()
        self._executor.shutdown(wait=True)

    @property
    def idle(self) -> bool:
        """Nothing queued or running: a request now delays no one."""
        return not self._queue and not self._running

    def _free_at(self, now: float) -> float:
        return max(now, self._busy_until)

    def offer(self) -> None:
        """Count one request offered to the server (admitted or not): the rate behind its time per request."""
        self.offered.add(time.perf_counter())

    def load(self, alphas: Iterable[int], decode_ms: dict[str, float] | None = None) -> ServerLoad:
        """Queue depth; per α the predicted wait (ms) before a new request's batch would start, were it due after
        everything queued (a camera planning its next request: the same deadline length as the rest), and what
        one costs at a full batch; the time per request the offered rate leaves (overload shows there: admission
        keeps the queue short); ``decode_ms``: the service's decoding costs (``ServerLoad.decode_ms``)."""
        now = time.perf_counter()
        live = [i for i in self._queue if not i.future.done()]
        found = waits(live, self._free_at(now), now, self.cost, self.max_batch, alphas)
        wait = {a: round(w * 1e3, 3) for a, w in found.items()}
        cost = {a: round(self.cost.busy_share_s(a, self.max_batch) * 1e3, 3) for a in found}
        budget = self.offered.budget_ms(now, self.target_utilisation)
        return ServerLoad(
            queue_depth=len(live),
            wait_ms=wait,
            busy=self._running,
            budget_ms=budget,
            cost_ms=cost,
            decode_ms=decode_ms or {},
        )

    def precheck(self, alpha: int, deadline_ms: float) -> None:
        """Refuse at once (CannotMeetDeadline) a request of α that would be late were it queued ``deadline_ms``
        before its due time, before any work is spent decoding it; nothing when idle."""
        if self.idle:
            return
        now = time.perf_counter()
        self._admit(_Probe(now + deadline_ms / 1e3, alpha), now)

    async def submit(self, tensor: Received, top_k: int, deadline_ms: float | None = None) -> BatchResult:
        """Queue one request due ``deadline_ms`` from now (None: the service's request timeout) and wait for
        its answer; QueueFull or CannotMeetDeadline at once when it cannot be served in time."""
        if len(self._queue) >= self.max_queue:
            raise QueueFull(f"{len(self._queue)} requests are queued (limit {self.max_queue})", self._retry_s())
        now = time.perf_counter()
        due = now + (self.default_deadline_s if deadline_ms is None else deadline_ms / 1e3)
        future: asyncio.Future[BatchResult] = asyncio.get_running_loop().create_future()
        item = _Item(due, next(self._seq), tensor, top_k, now, future)
        if deadline_ms is not None and (self._queue or self._running):  # idle: it delays no one, serve it
            self._admit(item, now)
        bisect.insort(self._queue, item)
        self._arrived.set()
        return await future

    def _retry_s(self) -> float:
        """Seconds until the queue has drained (at least 1: Retry-After counts whole seconds)."""
        now = time.perf_counter()
        plan = schedule(self._queue, self._free_at(now), self.cost, self.max_batch)
        return float(max(1, math.ceil((plan[-1][2] - now) if plan else 0.0)))

    def _admit(self, job: Job, now: float) -> None:
        """CannotMeetDeadline when ``job`` would be late behind the queue, or would make a queued one late."""
        live = [i for i in self._queue if not i.future.done()]
        why = refusal(live, job, self._free_at(now), self.cost, self.max_batch)
        if why is not None:
            raise CannotMeetDeadline(why, self._retry_s())

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            while not self._queue:
                self._arrived.clear()
                await self._arrived.wait()
            if self.max_delay_s > 0 and len(self._queue) < self.max_batch:
                await asyncio.sleep(self.max_delay_s)
            self._queue = [i for i in self._queue if not i.future.done()]  # callers that gave up
            now = time.perf_counter()
            late = [i for i in self._queue if i.due < now]
            if len(late) == len(self._queue):
                late = []  # only late ones left: computing them delays no one, and their cameras get an answer
            for item in late:
                item.future.set_exception(DeadlineMissed((now - item.due) * 1e3))
            if late and self.on_missed is not None:
                self.on_missed(len(late))
            dropped = {id(i) for i in late}
            self._queue = [i for i in self._queue if id(i) not in dropped]
            if not self._queue:
                continue
            group = take_batch(self._queue, self.max_batch)
            await self._run_group(loop, group)

    async def _run_group(self, loop: asyncio.AbstractEventLoop, group: list[_Item]) -> None:
        started = time.perf_counter()
        alpha = group[0].tensor.alpha
        self._busy_until = started + self.cost.batch_ms(alpha, len(group)) / 1e3
        self._running = True
        timings: dict[str, float] = {}
        top_k = max(i.top_k for i in group)
        try:
            preds = await loop.run_in_executor(self._executor, self.run, [i.tensor for i in group], top_k, timings)
        except Exception as exc:  # a failed forward pass fails its requests, never the worker
            for item in group:
                if not item.future.done():
                    item.future.set_exception(exc)
            return
        finally:
            self._busy_until, self._running = 0.0, False
        self.cost.observe(alpha, len(group), (time.perf_counter() - started) * 1e3)
        if self.on_batch is not None:
            self.on_batch(len(group), timings)
        for item, pred in zip(group, preds, strict=True):
            if item.future.done():
                continue
            k = item.top_k
            trimmed = Prediction(pred.labels[:k], pred.scores[:k], pred.class_ids[:k], pred.frame_indices, pred.beta)
            queue_ms = (started - item.enqueued) * 1e3
            item.future.set_result(BatchResult(trimmed, queue_ms, len(group), dict(timings)))
