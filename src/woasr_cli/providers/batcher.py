"""Cross-file batching: chunks submitted by several job threads go through the model together.

A process transcribes several files at once, one thread per file (a provider's
``concurrent_files``). Each thread cuts its audio window into chunks and submits them here; a
thread that waits for its results runs the next batch itself when the batch is full, when every
active thread is waiting (no more chunks can come), or when the oldest chunk has waited
``max_wait`` seconds. Up to ``parallel`` batches run at once, one per engine worker (CTranslate2
runs that many side by side on one copy of the weights). A batch holds chunks of one key only:
what the decoder is prompted with (language, task, ...), so files in different languages never
share a prompt; and of one ``group``, where the engine names one: chunks whose batch would run
otherwise for them than alone (the encoder's input cut to a batch's longest chunk,
faster_whisper_batch.encoder_seconds) batch only with chunks it runs alike for.

Short files are the reason: most of a media folder's clips hold one or two 30 s chunks of
speech, so batching within a file leaves batches empty (docs/performance.md). One long file is the
other case: its thread keeps several windows' chunks queued, and while it runs one batch a
helper thread runs the next, so ``parallel`` batches run even when a single thread waits.

A request a client waits on (``ahead_of_others``) has its chunks queued ahead of the others': a
long file's thread keeps three windows of chunks queued, and a short clip behind them waited
for all of them (docs/performance.md, issue 13, session 35).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from woasr_cli.errors import Interrupted
from woasr_cli.providers.thread_setting import thread_setting
from woasr_cli.stopping import stop_requested

T = TypeVar("T")
R = TypeVar("R")

RunBatch = Callable[[Hashable, list[T]], list[R]]

_local = threading.local()  # .ahead: this thread's chunks go ahead (``ahead_of_others``)


@contextmanager
def ahead_of_others(on: bool = True) -> Iterator[None]:
    """Within (when ``on``): the chunks this thread submits are queued ahead of those of
    threads not within it, behind those of others that are; for a request a client waits on,
    beside background work."""
    with thread_setting(_local, "ahead", on):
        yield


def going_ahead() -> bool:
    """Whether this thread's chunks go ahead (within ``ahead_of_others``)."""
    return bool(getattr(_local, "ahead", False))


@dataclass(eq=False)
class Ticket(Generic[T, R]):
    """One submitted chunk; its result (or the batch's error) once its batch has run. The chunk
    goes with the batch that takes it (:meth:`take`): a ticket waiting to be read holds its
    result only (a long file's windows are read long after their chunks were decoded)."""

    payload: T | None
    key: Hashable
    queued_at: float = field(default_factory=time.monotonic)
    result: R | None = None
    error: BaseException | None = None
    done: bool = False
    ahead: bool = False  # queued ahead of others' chunks (``ahead_of_others``)
    group: Hashable = None  # batched only with chunks of the same group (``ChunkBatcher``)

    def take(self) -> T:
        """The chunk, handed to the batch that decodes it; the ticket keeps no reference."""
        payload, self.payload = self.payload, None
        if payload is None:
            raise RuntimeError("a chunk was taken by two batches")
        return payload


class ChunkBatcher(Generic[T, R]):
    def __init__(
        self,
        run: RunBatch[T, R],
        batch_size: int,
        max_wait: float = 0.5,
        parallel: int = 1,
        group: Callable[[T], Hashable] | None = None,
    ) -> None:
        if batch_size < 1 or parallel < 1:
            raise ValueError("batch_size and parallel must be >= 1")
        self._run = run
        # A chunk shares a batch only with chunks of its own group (as of its own key), where
        # something a batch runs with follows its chunks (faster_whisper_batch.encoder_seconds)
        self._group = group
        self.batch_size = batch_size
        self.parallel = parallel
        self._max_wait = max_wait
        self._cond = threading.Condition()
        self._queue: deque[Ticket[T, R]] = deque()
        self._active = 0  # threads with a file in progress (``client``)
        self._active_ahead = 0  # of them, those going ahead (``ahead_of_others``)
        self._waiting = 0  # threads blocked in ``gather``
        self._running = 0  # batches in progress
        self._idle = 0  # threads in ``gather`` not running a batch
        self._helpers = 0  # helper threads running batches nobody else is free to run
        self.batches_run = 0

    @contextmanager
    def client(self) -> Iterator[None]:
        """Mark the calling thread as working on a file: batches wait for its chunks too."""
        ahead = int(going_ahead())
        with self._cond:
            self._active += 1
            self._active_ahead += ahead
        try:
            yield
        finally:
            with self._cond:
                self._active -= 1
                self._active_ahead -= ahead
                self._cond.notify_all()

    def settle(self, timeout: float | None = None) -> bool:
        """Wait until no batch runs (a helper thread's included); True once none does.

        A process must not exit with a batch inside the engine: a helper is a daemon thread,
        and the engine's C++ state torn down under it crashed the process at exit (Ctrl-C in
        the middle of a long file: exit 139, SIGSEGV, instead of 130)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._running or self._helpers:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
        return True

    @property
    def active(self) -> int:
        """Threads with a file in progress."""
        return self._active

    def submit(
        self, payloads: Sequence[T], key: Hashable, front: bool = False, start: bool = False
    ) -> list[Ticket[T, R]]:
        """Queue chunks; ``front``: ahead of the queue (the rest of a chunk its owner waits on).
        ``start``: if a batch is due, a slot free and no waiting thread idle to run it, a helper
        thread starts it now, while the caller goes on (a long file's thread cuts its next
        window meanwhile instead of leaving the cores to it alone). Within
        ``ahead_of_others`` chunks go ahead of every chunk queued outside it."""
        ahead = going_ahead()
        group = self._group or (lambda _: None)
        tickets = [Ticket[T, R](p, key, ahead=ahead, group=group(p)) for p in payloads]
        with self._cond:
            if front:
                self._queue.extendleft(reversed(tickets))
            elif ahead:
                at = next((i for i, t in enumerate(self._queue) if not t.ahead), len(self._queue))
                for k, ticket in enumerate(tickets):
                    self._queue.insert(at + k, ticket)
            else:
                self._queue.extend(tickets)
            if start:
                self._spare_helper()
            self._cond.notify_all()
        return tickets

    def cancel(self, tickets: Sequence[Ticket[T, R]]) -> None:
        """Drop tickets whose batch has not started (their owner no longer wants them)."""
        with self._cond:
            dropped = {id(t) for t in tickets}
            self._queue = deque(t for t in self._queue if id(t) not in dropped)
            self._cond.notify_all()

    def gather(self, tickets: Sequence[Ticket[T, R]]) -> list[R]:
        """Wait for ``tickets`` (running batches meanwhile); their results in order."""
        with self._cond:
            self._waiting += 1
            self._idle += 1
            self._cond.notify_all()
            try:
                while not all(t.done for t in tickets):
                    if stop_requested():  # the file was stopped: its queued chunks go too
                        self.cancel(tickets)  # (the condition's lock is re-entrant)
                        raise Interrupted("interrupted")
                    batch = None if self._running >= self.parallel else self._take()
                    if batch is None:
                        self._cond.wait(timeout=self._max_wait / 4)
                    else:
                        self._idle -= 1
                        try:
                            self._execute(batch, spare=True)
                        finally:
                            self._idle += 1
            finally:
                self._waiting -= 1
                self._idle -= 1
        for t in tickets:
            if t.error is not None:
                raise t.error
        return [t.result for t in tickets]  # type: ignore[misc]  # done and no error: set

    def _limit(self) -> int:
        """Chunks in the next batch. A lone file's ``parallel`` batches share ``batch_size``
        between them, so it holds no more chunks in the model at once than one full batch:
        the encoder's attention (~70 MB a chunk with tiny.en) is what grows with them. Files
        going ahead do not count: a clip a client waits on beside a job's long file would have
        the job's batches grow to ``batch_size``, and wait for them."""
        if self._active - self._active_ahead > 1:
            return self.batch_size
        return max(1, -(-self.batch_size // self.parallel))

    def _size(self, queued: int) -> int:
        """Chunks in the next batch, of ``queued`` of its key (lock held). While every thread
        waits no more chunks come until a batch ends, so what is queued is spread over the free
        slots: at the end of a long file the last rests (two joined pieces, say) ran as one
        batch on one core while the other idled (docs/performance.md, issue 17, x17 / z17c)."""
        limit = self._limit()
        free = self.parallel - self._running
        if free > 1 and self._waiting >= self._active:
            return max(1, min(limit, -(-queued // free)))
        return limit

    def _has_due(self) -> bool:
        """Whether the queue holds a batch to run now (lock held): full, nothing more coming,
        or overdue."""
        if not self._queue:
            return False
        return (
            len(self._queue) >= self._limit()
            or self._waiting >= self._active
            or time.monotonic() - self._queue[0].queued_at >= self._max_wait
        )

    def _take(self) -> list[Ticket[T, R]] | None:
        """The next batch if one is due (lock held)."""
        if not self._has_due():
            return None
        key, group = self._queue[0].key, self._queue[0].group
        same = [t for t in self._queue if t.key == key and t.group == group]
        batch = same[: self._size(len(same))]
        for t in batch:
            self._queue.remove(t)
        return batch

    def _help(self) -> None:
        """A helper thread: run due batches while a slot is free, then end."""
        with self._cond:
            try:
                while self._running < self.parallel:
                    batch = self._take()
                    if batch is None:
                        break
                    self._execute(batch)
            finally:
                self._helpers -= 1
                self._cond.notify_all()

    def _spare_helper(self) -> None:
        """Start a helper thread if a batch is due, a slot is free and no thread waiting in
        ``gather`` is idle to take it (lock held)."""
        if (
            self._idle == 0
            and self._helpers == 0
            and self._running < self.parallel
            and self._has_due()
        ):
            self._helpers += 1
            threading.Thread(target=self._help, name="woasr-batch-helper", daemon=True).start()

    def _execute(self, batch: list[Ticket[T, R]], spare: bool = False) -> None:
        """Run one batch with the lock released, then hand out the results (lock held).

        ``spare``: when another batch is due, a slot is free and no waiting thread is idle to
        take it (one long file has a single thread), start a helper thread to run it."""
        self._running += 1
        if spare:
            self._spare_helper()
        self._cond.release()
        try:
            results = self._run(batch[0].key, [t.take() for t in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"batch of {len(batch)} chunks gave {len(results)} results")
            for t, r in zip(batch, results, strict=True):
                t.result = r
        except BaseException as exc:  # handed to every thread waiting on this batch
            for t in batch:
                t.error = exc
        finally:
            self._cond.acquire()
            self._running -= 1
            self.batches_run += 1
            for t in batch:
                t.done = True
            self._cond.notify_all()
