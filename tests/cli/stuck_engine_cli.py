"""``woasr`` whose faster-whisper engine, when ``WOASR_TEST_STUCK`` names a folder, never comes
back from a file's first window: it writes a file named for its process id there, then spins,
as a CTranslate2 batch holds a worker's thread (20 s and more on one loaded core) without a
chance to look at a stop request. Run as a script (``python stuck_engine_cli.py transcribe ...``):
the ``--workers`` processes are spawned, import it as their ``__mp_main__`` and are stuck too.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from woasr_cli.providers.faster_whisper_engine import FasterWhisperProvider

SPIN_CPU_S = 120.0  # far longer than any test waits: its end is never what stops a worker


def _stuck(self: FasterWhisperProvider, audio: Any, options: Any) -> Any:
    Path(os.environ["WOASR_TEST_STUCK"], str(os.getpid())).touch()
    end = time.thread_time() + SPIN_CPU_S
    while time.thread_time() < end:
        pass
    raise RuntimeError("the stuck engine spun out")


if os.environ.get("WOASR_TEST_STUCK"):
    FasterWhisperProvider.transcribe = _stuck  # type: ignore[method-assign]

if __name__ == "__main__":
    from woasr_cli.cli.app import main

    main()
