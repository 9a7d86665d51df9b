"""Dynamic batching: concurrent requests share one forward pass.

Requests wait in a bounded queue. A worker takes the first one and everything queued behind it, waiting up
to ``max_delay`` for more (at most ``max_batch``). With ``max_delay = 0`` (the default) nothing waits: batches
form from the requests that arrived while the previous pass ran, so a lone request pays no batching delay and
a loaded server runs full batches. The worker groups what it has by the number of kept frames α (the ViT's
token count depends on α, so requests of different α are grouped, not padded), and runs each group in one
forward pass on a single worker thread (one model, one device, no contention). A full queue refuses new
requests at once.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from stae.errors import NotReadyError
from stae.pipeline import Prediction, Received

RunBatch = Callable[[Sequence[Received], int, dict[str, float]], list[Prediction]]


class QueueFull(NotReadyError):
    """The batching queue is at capacity: retry later."""

    def __init__(self, message: str) -> None:
        super().__init__(f"decoder busy: {message}", retry_after_s=1.0)


@dataclass
class _Item:
    tensor: Received
    top_k: int
    enqueued: float
    future: asyncio.Future[BatchResult]


@dataclass(frozen=True)
class BatchResult:
    prediction: Prediction
    queue_ms: float
    batch_size: int
    timings_ms: dict[str, float] = field(default_factory=dict)


class Batcher:
    def __init__(self, run: RunBatch, *, max_batch: int, max_delay_ms: float, max_queue: int) -> None:
        self.run = run
        self.max_batch = max_batch
        self.max_delay_s = max_delay_ms / 1e3
        self.max_queue = max_queue
        self._queue: asyncio.Queue[_Item] = asyncio.Queue()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="infer")
        self._task: asyncio.Task[None] | None = None
        self.on_batch: Callable[[int, dict[str, float]], None] | None = None

    @property
    def depth(self) -> int:
        return self._queue.qsize()

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="batcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if not item.future.done():
                item.future.set_exception(QueueFull("the service is shutting down"))
        self._executor.shutdown(wait=True)

    async def submit(self, tensor: Received, top_k: int) -> BatchResult:
        if self._queue.qsize() >= self.max_queue:
            raise QueueFull(f"{self._queue.qsize()} requests are queued (limit {self.max_queue})")
        future: asyncio.Future[BatchResult] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Item(tensor, top_k, time.perf_counter(), future))
        return await future

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            items = [await self._queue.get()]
            deadline = loop.time() + self.max_delay_s
            while len(items) < self.max_batch:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    while len(items) < self.max_batch and not self._queue.empty():
                        items.append(self._queue.get_nowait())
                    break
                try:
                    items.append(await asyncio.wait_for(self._queue.get(), remaining))
                except TimeoutError:
                    break
            items = [i for i in items if not i.future.done()]  # callers that gave up
            groups: dict[int, list[_Item]] = defaultdict(list)
            for item in items:
                groups[item.tensor.alpha].append(item)
            for group in groups.values():
                await self._run_group(loop, group)

    async def _run_group(self, loop: asyncio.AbstractEventLoop, group: list[_Item]) -> None:
        started = time.perf_counter()
        timings: dict[str, float] = {}
        top_k = max(i.top_k for i in group)
        try:
            preds = await loop.run_in_executor(self._executor, self.run, [i.tensor for i in group], top_k, timings)
        except Exception as exc:  # a failed forward pass fails its requests, never the worker
            for item in group:
                if not item.future.done():
                    item.future.set_exception(exc)
            return
        if self.on_batch is not None:
            self.on_batch(len(group), timings)
        for item, pred in zip(group, preds, strict=True):
            if item.future.done():
                continue
            k = item.top_k
            trimmed = Prediction(pred.labels[:k], pred.scores[:k], pred.class_ids[:k], pred.frame_indices, pred.beta)
            queue_ms = (started - item.enqueued) * 1e3
            item.future.set_result(BatchResult(trimmed, queue_ms, len(group), dict(timings)))
