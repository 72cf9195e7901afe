"""The allocator tuning of woasr_cli.runtime, measured by the page faults it saves."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from woasr_cli.runtime import _libc

# A fresh interpreter: tune (or not), then allocate, touch and free a 48 MiB block ten times, as
# CTranslate2 does with its activations on every forward pass, counting minor page faults.
_PROBE = textwrap.dedent(
    """
    import json, resource
    from woasr_cli.runtime import tune_allocator
    import numpy as np

    changed = tune_allocator()
    np.ones(12 << 20, dtype=np.float32)  # warm up: the heap grows once
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(10):
        block = np.ones(12 << 20, dtype=np.float32)
        del block
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    print(json.dumps({"changed": changed, "faults": faults}))
    """
)


def _probe(malloc: str | None) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env.pop("WOASR_MALLOC", None)
    if malloc is not None:
        env["WOASR_MALLOC"] = malloc
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(proc.stdout)
    return result


@pytest.mark.skipif(_libc() is None, reason="glibc only: the tuning is a no-op elsewhere")
def test_big_blocks_are_reused_instead_of_mapped_afresh() -> None:
    tuned = _probe(None)
    untouched = _probe("system")
    assert tuned["changed"] is True and untouched["changed"] is False
    assert isinstance(tuned["faults"], int) and isinstance(untouched["faults"], int)
    # glibc's defaults map (and fault in) every block afresh: at least one fault per 2 MiB
    # (transparent huge pages, which numpy asks for), 4 KiB pages without them; tuned, the
    # heap's pages are reused
    assert untouched["faults"] >= 10 * 24
    assert tuned["faults"] < untouched["faults"] / 10


def test_tuning_is_skipped_without_glibc_or_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    from woasr_cli import runtime

    runtime.tune_allocator.cache_clear()
    monkeypatch.setenv("WOASR_MALLOC", "system")
    try:
        assert runtime.tune_allocator() is False
    finally:
        runtime.tune_allocator.cache_clear()


_BLAS_PROBE = textwrap.dedent(
    """
    import sys
    from woasr_cli.cli.app import main
    sys.argv = ["woasr", "--version"]
    try:
        main()
    except SystemExit:
        pass
    import numpy, threadpoolctl
    print([p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"])
    """
)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs 2 cores: OpenBLAS uses one on one")
@pytest.mark.parametrize(("user", "threads"), [(None, "[1]"), ("2", "[2]")])
def test_the_cli_gives_numpys_openblas_one_thread_unless_the_user_says(
    user: str | None, threads: str
) -> None:
    """NumPy's OpenBLAS, one thread per core by default, spun on the cores CTranslate2's batches
    wanted (docs/performance.md); the CLI sets it to one before NumPy loads. A user's own
    OPENBLAS_NUM_THREADS wins."""
    pytest.importorskip("threadpoolctl", reason="threadpoolctl (scikit-learn's) reads the threads")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    env["PYTHONPATH"] = str(Path(__file__).parents[1] / "src")
    if user:
        env["OPENBLAS_NUM_THREADS"] = user
    found = subprocess.run(
        [sys.executable, "-c", _BLAS_PROBE], env=env, capture_output=True, text=True, check=True
    ).stdout.strip().splitlines()[-1]
    assert found == threads


def test_blas_threads_are_left_alone_once_numpy_is_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy  # noqa: F401  (loaded, as in any process that used it before woasr)

    from woasr_cli import runtime

    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    runtime.limit_blas_threads.cache_clear()
    try:
        assert runtime.limit_blas_threads() is False
        assert "OPENBLAS_NUM_THREADS" not in os.environ
    finally:
        runtime.limit_blas_threads.cache_clear()
