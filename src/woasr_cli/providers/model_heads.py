"""A Whisper model recognised by its alignment heads, whatever it is called.

Whisper times words from the cross-attention of a few "alignment heads", a different set in each
model, which CTranslate2's converter writes into the model's ``config.json``. So a local
directory, a cache path or an offline package is recognised as well as a name, and what was
measured on a model (word_lag.py, faster_whisper_engine's ``timestamp_tokens``) follows it.
"""

from __future__ import annotations

import json
from pathlib import Path

Heads = tuple[tuple[int, int], ...]

# OpenAI's alignment heads (whisper/__init__.py), as CTranslate2's converter writes them.
TINY_EN: Heads = ((1, 0), (2, 0), (2, 5), (3, 0), (3, 1), (3, 2), (3, 3), (3, 4))
TINY: Heads = ((2, 2), (3, 0), (3, 2), (3, 3), (3, 4), (3, 5))
BASE: Heads = ((3, 1), (4, 2), (4, 3), (4, 7), (5, 1), (5, 2), (5, 4), (5, 6))


def alignment_heads(model_dir: Path) -> Heads | None:
    """The alignment heads a CTranslate2 Whisper directory declares, if it can be read."""
    try:
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        return tuple((int(layer), int(head)) for layer, head in config["alignment_heads"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
