"""A setting held on one thread within a block (providers/thread_setting.py)."""

from __future__ import annotations

import threading

from woasr_cli.providers.thread_setting import thread_setting


def test_a_setting_holds_on_its_thread_within_the_block_only() -> None:
    local = threading.local()
    seen: list[object] = []
    with thread_setting(local, "pad", 2.0):
        with thread_setting(local, "pad", 5.0):
            assert local.pad == 5.0
        assert local.pad == 2.0  # the outer block's value again
        other = threading.Thread(target=lambda: seen.append(getattr(local, "pad", None)))
        other.start()
        other.join()
    assert seen == [None]  # another thread never saw it
    assert local.pad is None
    try:
        with thread_setting(local, "pad", 1.0):
            raise RuntimeError
    except RuntimeError:
        pass
    assert local.pad is None  # restored when the block raises too
