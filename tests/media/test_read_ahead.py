"""read_ahead: the same items in the same order, pulled on a reader thread at most ``depth``
ahead; the source's error raised where it happened; closing stops the thread and the source."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from woasr_cli.media.read_ahead import read_ahead


class Source:
    """Yields 0..n-1, recording which thread pulled each item and whether it was closed."""

    def __init__(self, n: int, fail_at: int | None = None) -> None:
        self.n, self.fail_at = n, fail_at
        self.threads: list[str] = []
        self.closed = False

    def __iter__(self) -> Iterator[int]:
        try:
            for i in range(self.n):
                if i == self.fail_at:
                    raise OSError(f"bad block {i}")
                self.threads.append(threading.current_thread().name)
                yield i
        finally:
            self.closed = True


def settle(source: Source) -> int:
    """How many items the reader has pulled once it stops pulling."""
    before = -1
    while before != len(source.threads):
        before = len(source.threads)
        time.sleep(0.05)
    return before


def test_same_items_in_order_pulled_on_a_reader_thread_at_most_depth_ahead() -> None:
    source = Source(10)
    reader = read_ahead(source, depth=2)
    assert source.threads == []  # nothing runs before the first item is asked for
    assert next(reader) == 0
    # One handed over, two waiting in the queue, one pulled and waiting for room.
    assert settle(source) <= 1 + 2 + 1
    assert list(reader) == list(range(1, 10))
    assert set(source.threads) == {"woasr-read-ahead"}
    assert source.closed


def test_an_error_in_the_source_is_raised_after_the_items_before_it() -> None:
    source = Source(10, fail_at=3)
    got: list[int] = []
    with pytest.raises(OSError, match="bad block 3"):
        for item in read_ahead(source, depth=2):
            got.append(item)
    assert got == [0, 1, 2]
    assert source.closed


def test_closing_early_stops_the_reader_and_closes_the_source() -> None:
    source = Source(1000)
    reader = read_ahead(source, depth=1)
    assert next(reader) == 0
    reader.close()
    assert source.closed
    assert settle(source) < 10  # stopped, not run to the end
    assert not any(t.name == "woasr-read-ahead" for t in threading.enumerate())


def test_depth_must_be_positive() -> None:
    with pytest.raises(ValueError):
        next(read_ahead(Source(1), depth=0))
