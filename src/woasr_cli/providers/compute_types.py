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
# What CTranslate2 takes by name (it picks the nearest the device runs: float16 on a CPU runs
# float32); anything else failed only once the model loaded, as "cannot load model ...".
CTRANSLATE2_TYPES = frozenset(
    {"auto", "int8", "int8_float32", "int8_float16", "int8_bfloat16", "int16", "float16",
     "bfloat16", "float32"}
)  # fmt: skip


def check_compute_type(engine: str, honoured: frozenset[str] | None, requested: str) -> None:
    """Refuse ``--compute-type requested`` where ``engine`` honours only ``honoured`` (None:
    CTranslate2 decides, among the types it has)."""
    if requested == DEFAULT or requested in (CTRANSLATE2_TYPES if honoured is None else honoured):
        return
    if honoured is None:
        raise CapabilityError(
            f"provider '{engine}' has no --compute-type {requested} (CTranslate2 runs "
            f"{', '.join(sorted(CTRANSLATE2_TYPES))})"
        )
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
