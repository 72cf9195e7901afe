"""The allocator tuning of woasr_cli.runtime, measured by the page faults it saves."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

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
