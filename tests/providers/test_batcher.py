"""ChunkBatcher: chunks from several threads share batches, results go back to their owners."""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable

import pytest

from woasr_cli.providers.batcher import ChunkBatcher, ahead_of_others, going_ahead


class Recorder:
    """A batch function that squares numbers and remembers every batch it was given."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.batches: list[tuple[Hashable, list[int]]] = []
        self.fail_on = fail_on
        self._lock = threading.Lock()

    def __call__(self, key: Hashable, items: list[int]) -> list[int]:
        with self._lock:
            self.batches.append((key, list(items)))
        if self.fail_on is not None and self.fail_on in items:
            raise RuntimeError(f"cannot decode {self.fail_on}")
        time.sleep(0.01)
        return [i * i for i in items]


def run_clients(batcher: ChunkBatcher[int, int], work: dict[str, list[int]], key: object = "k"):
    results: dict[str, list[int]] = {}
    errors: dict[str, BaseException] = {}
    ready = threading.Barrier(len(work))

    def client(name: str, items: list[int]) -> None:
        with batcher.client():
            ready.wait()
            try:
                results[name] = batcher.gather(batcher.submit(items, key))
            except RuntimeError as exc:
                errors[name] = exc

    threads = [threading.Thread(target=client, args=kv) for kv in work.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert not any(t.is_alive() for t in threads)
    return results, errors


def test_chunks_of_several_threads_share_batches() -> None:
    run = Recorder()
    batcher: ChunkBatcher[int, int] = ChunkBatcher(run, batch_size=4, max_wait=5)
    work = {f"file{i}": [10 * i + j for j in range(2)] for i in range(4)}
    results, errors = run_clients(batcher, work)
    assert not errors
    assert results == {name: [x * x for x in items] for name, items in work.items()}
    sizes = [len(items) for _, items in run.batches]
    assert sum(sizes) == 8
    assert len(run.batches) == 2 and max(sizes) == 4  # full batches, mixing files


def test_a_batch_holds_one_key_only() -> None:
    run = Recorder()
    batcher: ChunkBatcher[int, int] = ChunkBatcher(run, batch_size=8)
    done = threading.Barrier(2)
    out: dict[str, list[int]] = {}

    def client(name: str, key: str, items: list[int]) -> None:
        with batcher.client():
            tickets = batcher.submit(items, key)
            done.wait()
            out[name] = batcher.gather(tickets)

    threads = [
        threading.Thread(target=client, args=("a", "en", [1, 2])),
        threading.Thread(target=client, args=("b", "ko", [3])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert out == {"a": [1, 4], "b": [9]}
    assert sorted((k, sorted(v)) for k, v in run.batches) == [("en", [1, 2]), ("ko", [3])]


def test_a_batch_holds_one_group_only() -> None:
    """Chunks of one key batch by their group too (faster-whisper's encoder input fitted to a
    batch's chunks: a chunk's own length, not its companions')."""
    run = Recorder()
    batcher: ChunkBatcher[int, int] = ChunkBatcher(run, batch_size=8, group=lambda x: x % 2)
    with batcher.client():
        tickets = batcher.submit([1, 2, 3, 4, 5], "en")
        assert batcher.gather(tickets) == [1, 4, 9, 16, 25]
    assert sorted(sorted(v) for _, v in run.batches) == [[1, 3, 5], [2, 4]]


def test_a_lone_caller_runs_at_once() -> None:
    run = Recorder()
    batcher: ChunkBatcher[int, int] = ChunkBatcher(run, batch_size=8, max_wait=30)
    started = time.monotonic()
    assert batcher.gather(batcher.submit([2, 3], "k")) == [4, 9]
    assert time.monotonic() - started < 5  # not held back waiting for a full batch


def test_a_busy_client_delays_a_batch_at_most_max_wait() -> None:
    run = Recorder()
    batcher: ChunkBatcher[int, int] = ChunkBatcher(run, batch_size=8, max_wait=0.3)
    release = threading.Event()

    def busy() -> None:  # holds a file open but submits nothing (e.g. decoding)
        with batcher.client():
            release.wait(10)

    other = threading.Thread(target=busy)
    other.start()
    try:
        with batcher.client():
            started = time.monotonic()
            assert batcher.gather(batcher.submit([5], "k")) == [25]
            waited = time.monotonic() - started
        assert 0.2 <= waited < 3
    finally:
        release.set()
        other.join()


def test_an_error_fails_only_the_chunks_of_its_batch() -> None:
    run = Recorder(fail_on=13)
    batcher: ChunkBatcher[int, int] = ChunkBatcher(run, batch_size=1)
    work = {"good": [1, 2], "bad": [13], "also_good": [3]}
    results, errors = run_clients(batcher, work)
    assert results == {"good": [1, 4], "also_good": [9]}
    assert list(errors) == ["bad"] and "cannot decode 13" in str(errors["bad"])


def test_batch_size_and_parallel_must_be_positive() -> None:
    with pytest.raises(ValueError):
        ChunkBatcher(Recorder(), batch_size=0)
    with pytest.raises(ValueError):
        ChunkBatcher(Recorder(), batch_size=4, parallel=0)


def test_parallel_batches_run_side_by_side() -> None:
    both_running = threading.Barrier(2, timeout=5)

    def run(key: Hashable, items: list[int]) -> list[int]:
        both_running.wait()  # breaks (BrokenBarrierError) unless two batches run at once
        return [-i for i in items]

    batcher: ChunkBatcher[int, int] = ChunkBatcher(run, batch_size=1, parallel=2)
    results, errors = run_clients(batcher, {"a": [1], "b": [2]})
    assert not errors
    assert results == {"a": [-1], "b": [-2]}


def test_one_thread_with_queued_chunks_keeps_parallel_batches_busy() -> None:
    """One long file has one thread: while it runs a batch, a helper runs the next one."""
    both_running = threading.Barrier(2, timeout=5)
    threads: set[str] = set()

    def run(key: Hashable, items: list[int]) -> list[int]:
        threads.add(threading.current_thread().name)
        both_running.wait()  # breaks (BrokenBarrierError) unless the two batches run at once
        return [-i for i in items]

    batcher: ChunkBatcher[int, int] = ChunkBatcher(run, batch_size=2, parallel=2)
    with batcher.client():
        first = batcher.submit([1, 2], "k")
        second = batcher.submit([3, 4], "k")
        assert batcher.gather(first) == [-1, -2]
        assert batcher.gather(second) == [-3, -4]
    assert len(threads) == 2


def test_cancelled_chunks_never_run_and_front_chunks_run_first() -> None:
    run = Recorder()
    batcher: ChunkBatcher[int, int] = ChunkBatcher(run, batch_size=2, max_wait=30)
    with batcher.client():
        dropped = batcher.submit([7, 8], "k")
        kept = batcher.submit([1], "k")
        urgent = batcher.submit([2], "k", front=True)
        batcher.cancel(dropped)
        assert batcher.gather(urgent) == [4]
        assert batcher.gather(kept) == [1]
    assert [items for _, items in run.batches] == [[2, 1]]


def test_chunks_of_a_request_waited_on_go_ahead_of_queued_background_chunks() -> None:
    """A server's job queues a long file's windows of chunks; a clip a client waits on, sent
    to the OpenAI-compatible route, waited behind all of them. Within ``ahead_of_others`` its
    chunks go ahead of every chunk queued outside it, in their own order behind earlier ones
    that went ahead; other threads' chunks queue as before."""
    run = Recorder()
    batcher: ChunkBatcher[int, int] = ChunkBatcher(run, batch_size=2, max_wait=30)

    def request(items: list[int]) -> None:
        with ahead_of_others():
            assert going_ahead()
            batcher.submit(items, "k")
        assert not going_ahead()

    with batcher.client():
        job = batcher.submit([1, 2, 3, 4, 5, 6], "k")
        for items in ([7], [8, 9]):
            t = threading.Thread(target=request, args=(items,))
            t.start()
            t.join()
        later = batcher.submit([10], "k")
        assert not going_ahead()
        assert batcher.gather(later) == [100]
    assert [items for _, items in run.batches] == [[7, 8], [9, 1], [2, 3], [4, 5], [6, 10]]
    assert batcher.gather(job) == [1, 4, 9, 16, 25, 36]


def test_a_file_going_ahead_does_not_make_the_others_batches_bigger() -> None:
    """A lone long file's batches hold ``batch_size`` / ``parallel`` chunks; a second file
    makes them full (folders of clips). A clip a client waits on beside it does not: it would
    wait for the bigger batches to end (docs/performance.md, issue 13, session 35)."""
    run = Recorder()
    batcher: ChunkBatcher[int, int] = ChunkBatcher(run, batch_size=4, parallel=2, max_wait=30)
    inside, leave = threading.Event(), threading.Event()

    def other(ahead: bool) -> None:
        with ahead_of_others(ahead), batcher.client():
            inside.set()
            leave.wait(timeout=10)

    sizes = []
    for ahead in (True, False):
        run.batches.clear()
        inside.clear()
        leave.clear()
        t = threading.Thread(target=other, args=(ahead,))
        t.start()
        assert inside.wait(timeout=5)
        with batcher.client():
            batcher.gather(batcher.submit(list(range(8)), "k"))
        leave.set()
        t.join()
        sizes.append(max(len(items) for _, items in run.batches))
    assert sizes == [2, 4]


def test_chunks_submitted_to_start_run_while_their_thread_works_on() -> None:
    """A long file's thread queues a window's chunks and goes on to cut the next window: with
    ``start`` a helper starts the due batch at once instead of when the thread next waits."""
    started = threading.Event()
    threads: list[str] = []

    def run(key: Hashable, items: list[int]) -> list[int]:
        threads.append(threading.current_thread().name)
        started.set()
        return [-i for i in items]

    batcher: ChunkBatcher[int, int] = ChunkBatcher(run, batch_size=2, parallel=2, max_wait=30)
    with batcher.client():
        tickets = batcher.submit([1, 2, 3, 4], "k", start=True)
        assert started.wait(timeout=5)  # the thread has not waited for anything yet
        assert batcher.gather(tickets) == [-1, -2, -3, -4]
    assert threads[0] == "woasr-batch-helper"


def test_chunks_submitted_without_start_wait_for_a_thread_to_gather() -> None:
    ran = threading.Event()

    def run(key: Hashable, items: list[int]) -> list[int]:
        ran.set()
        return items

    batcher: ChunkBatcher[int, int] = ChunkBatcher(run, batch_size=2, parallel=2, max_wait=30)
    with batcher.client():
        tickets = batcher.submit([1, 2], "k")
        assert not ran.wait(timeout=0.3)
        assert batcher.gather(tickets) == [1, 2]


def test_the_last_chunks_are_spread_over_the_free_slots() -> None:
    """At the end of a long file (its thread waits, nothing more can come) two queued chunks
    run as two batches side by side, not as one batch on one core while the other idles."""
    both_running = threading.Barrier(2, timeout=5)
    sizes: list[int] = []

    def run(key: Hashable, items: list[int]) -> list[int]:
        sizes.append(len(items))
        both_running.wait()  # breaks (BrokenBarrierError) unless two batches run at once
        return [-i for i in items]

    batcher: ChunkBatcher[int, int] = ChunkBatcher(run, batch_size=4, parallel=2, max_wait=30)
    with batcher.client():
        assert batcher.gather(batcher.submit([1, 2], "k")) == [-1, -2]
    assert sizes == [1, 1]


def test_chunks_are_not_spread_while_a_thread_may_still_submit() -> None:
    """A thread still cutting its file may queue more: the batch keeps its full size."""
    sizes: list[int] = []
    ran = threading.Event()

    def run(key: Hashable, items: list[int]) -> list[int]:
        sizes.append(len(items))
        ran.set()
        return items

    batcher: ChunkBatcher[int, int] = ChunkBatcher(run, batch_size=4, parallel=2, max_wait=30)
    with batcher.client():
        tickets = batcher.submit([1, 2], "k", start=True)  # full (2 + 2 chunks): starts now
        assert ran.wait(timeout=5)  # run by a helper while this thread is not waiting
        assert batcher.gather(tickets) == [1, 2]
    assert sizes == [2]


def test_a_stopped_file_stops_waiting_and_settle_waits_for_the_batch_in_the_engine() -> None:
    """A file's thread waiting on batches (a batch another thread runs, its own chunks queued
    behind it) gives up as soon as its file is asked to stop, taking its queued chunks off the
    queue; ``settle`` then waits for the batch still inside the engine, and only that one."""
    from woasr_cli.errors import Interrupted
    from woasr_cli.stopping import stop_when

    started, release = threading.Event(), threading.Event()
    ran: list[list[int]] = []

    def slow(key: Hashable, items: list[int]) -> list[int]:
        ran.append(list(items))
        started.set()
        release.wait(10)
        return items

    batcher: ChunkBatcher[int, int] = ChunkBatcher(slow, batch_size=1)
    other = threading.Thread(target=lambda: batcher.gather(batcher.submit([1], "k")))
    other.start()
    assert started.wait(5)  # chunk 1 is inside the engine, run by the other thread
    stop = threading.Event()
    outcome: list[BaseException] = []

    def stopped_file() -> None:
        with stop_when(stop.is_set):
            try:
                batcher.gather(batcher.submit([2, 3], "k"))
            except Interrupted as exc:
                outcome.append(exc)

    waiter = threading.Thread(target=stopped_file)
    waiter.start()
    time.sleep(0.2)
    stop.set()
    waiter.join(2)
    assert not waiter.is_alive() and len(outcome) == 1  # without waiting for chunk 1's batch
    assert not batcher.settle(timeout=0.2)  # chunk 1 is still inside the engine
    release.set()
    assert batcher.settle(timeout=5)
    other.join(5)
    assert ran == [[1]]  # chunks 2 and 3 were never decoded
