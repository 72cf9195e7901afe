"""benchmarks/throughput.py's process-tree RSS poll, which long_recording.py runs every 50 ms
beside the command it times: the right sum, at a cost that does not take a core's share from a
runner that keeps both cores busy (docs/performance.md, "Long recordings", y17)."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def throughput() -> ModuleType:
    pytest.importorskip("srt", reason="the benchmarks need srt (the dev extra)")
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("throughput", BENCH / "throughput.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules.setdefault("throughput", module)  # its dataclasses look their module up
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCH))


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as fh:
        return [int(p) for p in fh.read().split()]


def test_tree_rss_sums_the_process_its_children_and_theirs(throughput: ModuleType) -> None:
    # The measured command holds 64 MB and starts a process of its own holding 32 MB.
    grandchild = (
        "import time; x = bytearray(b'1' * (32 << 20)); print(1, flush=True); time.sleep(30)"
    )
    child = (
        "import subprocess, sys, time; x = bytearray(b'1' * (64 << 20)); "
        f"p = subprocess.Popen([sys.executable, '-c', {grandchild!r}], stdout=sys.stdout); "
        "time.sleep(30)"
    )
    root = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE)
    pids = [root.pid]
    try:
        assert root.stdout is not None and root.stdout.readline().strip() == b"1"
        pids += _children(root.pid)
        assert len(pids) == 2 and not _children(pids[1])
        total = throughput.tree_rss_kb(root.pid)
        expected = sum(_rss_kb(p) for p in pids)
        assert total > (64 + 32) * 1024
        assert abs(total - expected) < 4 * 1024
        assert throughput.tree_rss_kb(999_999_999) == 0  # gone: nothing, no error
    finally:
        for pid in pids[1:]:
            os.kill(pid, signal.SIGKILL)
        root.kill()
        root.wait()


def test_tree_rss_poll_reads_only_the_tree(
    throughput: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Reading every process's stat in /proc took ~1.8 ms of CPU a poll on the benchmark
    # machine (20 polls a second: ~4 % of a core); a one-process tree is its own few files.
    # (A process of its own: the test runner may have children of its own by now.)
    import builtins

    lone = subprocess.Popen(
        [sys.executable, "-c", "import time; print(1, flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE,
    )
    assert lone.stdout is not None and lone.stdout.readline().strip() == b"1"  # running
    opened: list[str] = []
    real_open = builtins.open

    def counting_open(file: object, *args: object, **kwargs: object) -> object:
        opened.append(str(file))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    try:
        monkeypatch.setattr(builtins, "open", counting_open)
        assert throughput.tree_rss_kb(lone.pid) > 0
        monkeypatch.undo()
        tasks = len(os.listdir(f"/proc/{lone.pid}/task"))
        assert all(path.startswith(f"/proc/{lone.pid}/") for path in opened), opened
        assert len(opened) <= 1 + tasks
    finally:
        lone.kill()
        lone.wait()
