"""transformers' progress bars off while a model loads.

transformers draws a "Loading weights" progress bar on stderr for every model it loads: it was
the one line ``woasr transcribe -q`` printed with ``hf_auto_asr``, and it came on every
``--align`` run, in the middle of a ``--json`` stream's stderr too. A local model loads in a
moment; the bars are put back as they were after.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_progress_bars() -> Iterator[None]:
    """transformers' progress bars off within the block, as they were after."""
    from transformers.utils import logging as transformers_logging

    was_on = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        if was_on:
            transformers_logging.enable_progress_bar()  # type: ignore[no-untyped-call]
