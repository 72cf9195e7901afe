"""How late a Whisper model's cross-attention word times are, per model (measured).

Whisper times words from the cross-attention of a few "alignment heads", a different set in each
model, and the bias differs with them: after faster-whisper's own timing, tiny.en's word starts
are ~0.08 s late and base's ~0.05 s early (medians over pyannote_sample's hand-timed
utterances, espeak-ng's exact word events and benchmarks/long_recording.py's 10-minute
recording; docs/performance.md). A model is recognised by its alignment heads (in its
CTranslate2 ``config.json``), so a local directory or a cache path is recognised as well as a
name. Models not measured here get no correction: the engine's own times.
"""

from __future__ import annotations

import json
from pathlib import Path

# Alignment heads (OpenAI's, as CTranslate2's converter writes them) -> seconds late.
MEASURED_LAG_S: dict[tuple[tuple[int, int], ...], float] = {
    # tiny.en: +0.087 s on pyannote_sample, +0.097 s on espeak, +0.099 s on the 10-minute
    # recording (raw); +0.009 s over the first two with 0.08 taken off.
    ((1, 0), (2, 0), (2, 5), (3, 0), (3, 1), (3, 2), (3, 3), (3, 4)): 0.08,
    # base (multilingual): -0.134 s on pyannote_sample, -0.133 s on espeak and -0.136 s on the
    # 10-minute recording with 0.08 taken off, so -0.055 s raw.
    ((3, 1), (4, 2), (4, 3), (4, 7), (5, 1), (5, 2), (5, 4), (5, 6)): -0.055,
}


def alignment_heads(model_dir: Path) -> tuple[tuple[int, int], ...] | None:
    """The alignment heads a CTranslate2 Whisper directory declares, if it can be read."""
    try:
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        return tuple((int(layer), int(head)) for layer, head in config["alignment_heads"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def word_lag_s(model_dir: Path) -> float:
    """Seconds this model's word starts lag the speech (0.0 for a model not measured)."""
    heads = alignment_heads(model_dir)
    return MEASURED_LAG_S.get(heads, 0.0) if heads is not None else 0.0
