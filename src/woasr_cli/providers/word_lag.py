"""How late a Whisper model's cross-attention word times are, per model (measured).

Whisper times words from the cross-attention of a few "alignment heads", a different set in each
model, and the bias differs with them: after faster-whisper's own timing, tiny.en's word starts
are ~0.08 s late and base's ~0.05 s early (medians over pyannote_sample's hand-timed
utterances, espeak-ng's exact word events and benchmarks/long_recording.py's 10-minute
recording; docs/performance.md). A model is recognised by its alignment heads (model_heads.py),
so a local directory or a cache path is recognised as well as a name. Models not measured here
get no correction: the engine's own times.
"""

from __future__ import annotations

from pathlib import Path

from woasr_cli.providers.model_heads import BASE, TINY_EN, Heads, alignment_heads

# Alignment heads -> seconds late.
MEASURED_LAG_S: dict[Heads, float] = {
    # tiny.en: +0.087 s on pyannote_sample, +0.097 s on espeak, +0.099 s on the 10-minute
    # recording (raw); +0.009 s over the first two with 0.08 taken off.
    TINY_EN: 0.08,
    # base (multilingual): -0.134 s on pyannote_sample, -0.133 s on espeak and -0.136 s on the
    # 10-minute recording with 0.08 taken off, so -0.055 s raw.
    BASE: -0.055,
}


def word_lag_s(model_dir: Path) -> float:
    """Seconds this model's word starts lag the speech (0.0 for a model not measured)."""
    heads = alignment_heads(model_dir)
    return MEASURED_LAG_S.get(heads, 0.0) if heads is not None else 0.0
