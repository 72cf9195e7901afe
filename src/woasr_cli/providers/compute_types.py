"""``--compute-type`` for engines other than CTranslate2's.

faster_whisper and whisperx hand the value to CTranslate2 (int8, float16, int8_float16 ...). The
torch engines honour the floating-point types torch runs them in and nothing else: a value they
cannot honour is refused in one line before any model loads (it was ignored, and ``--compute-type
int8`` ran float32 with nothing said). An endpoint (``openai_api``) chooses its own.
"""

from __future__ import annotations

from typing import Any

from woasr_cli.errors import CapabilityError

DEFAULT = "default"  # the engine's own choice
TORCH_FLOATS = frozenset({"float32", "float16", "bfloat16"})


def check_compute_type(engine: str, honoured: frozenset[str] | None, requested: str) -> None:
    """Refuse ``--compute-type requested`` where ``engine`` honours only ``honoured`` (None:
    CTranslate2 decides)."""
    if requested == DEFAULT or honoured is None or requested in honoured:
        return
    if not honoured:
        why = "its endpoint chooses its own"
    else:
        why = f"it runs {', '.join(sorted(honoured))}"
        if requested.startswith("int"):
            why += f"; {requested} is for CTranslate2's engines, faster_whisper and whisperx"
    raise CapabilityError(
        f"provider '{engine}' cannot run --compute-type {requested} ({why}): "
        "give another or drop --compute-type"
    )


def torch_dtype(requested: str) -> Any:
    """The torch dtype of an honoured ``--compute-type`` (None for the engine's default)."""
    if requested == DEFAULT:
        return None
    import torch

    return {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}[
        requested
    ]
