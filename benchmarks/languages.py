"""Files in more than one language: how much of each language's speech a runner writes down.

    python benchmarks/languages.py [--cache DIR] [--only NAME ...] [--json PATH]

Inputs (built once into --cache): recordings that move from one language to another, made of
the shared real clips (../shared/audio: jfk, librispeech, pyannote_sample, korean_read_1) and
espeak-ng paragraphs (German, Spanish, Italian: a synthetic voice, and Whisper's weakest case),
plus an English-only control that must not change:

- ``en_ko_en``: English (jfk, librispeech), 35 s of Korean (korean_read_1 eight times), jfk
- ``en_de_it``: English (jfk, librispeech, jfk), German, Italian, jfk
- ``de_es``: German, then Spanish
- ``ko_en``: 17 s of Korean, then English (jfk, librispeech, pyannote_sample)
- ``en_control``: English only (jfk, librispeech, pyannote_sample, jfk)

Runners, back to back on the multilingual ``base`` CTranslate2 directory, int8, beam 5, Silero
VAD, language left to the model: ``wct-default``, ``wct-batched`` (``--batched True --batch_size
8``), ``woasr-default`` and ``woasr-sequential`` (``--batch-size 1``), SRT out. Per input and
part: the share of the part's reference tokens found in the runner's SRT (words for languages
written with spaces, characters for Korean; a multiset, so a part heard twice counts once), and
per input the wall time. A part's share near 0 means its speech was dropped or turned into
another language.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np
import soundfile as sf

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from corpus import SHARED  # noqa: E402
from throughput import BIN, ENV, PY, require, transcript_text  # noqa: E402

RATE = 16000
RUNNERS = ("wct-default", "wct-batched", "woasr-default", "woasr-sequential")

ESPEAK = {
    "de": [
        "Guten Morgen und willkommen zu unserer wöchentlichen Besprechung. Heute sprechen wir über "
        "die Ergebnisse des letzten Quartals und die Planung für das kommende Jahr.",
        "Zuerst möchte ich mich bei allen Mitarbeitern für ihre harte Arbeit bedanken. Die "
        "Verkaufszahlen sind gestiegen, und die Kunden waren noch nie so zufrieden.",
    ],
    "es": [
        "Buenos días a todos y bienvenidos a nuestra reunión semanal. Hoy hablaremos de los "
        "resultados del último trimestre y de la planificación para el próximo año.",
        "En primer lugar, quiero agradecer a todos los empleados por su arduo trabajo. Las ventas "
        "aumentaron y los clientes nunca estuvieron tan contentos.",
    ],
    "it": [
        "Buongiorno a tutti e benvenuti alla nostra riunione settimanale. Oggi parleremo dei "
        "risultati dell'ultimo trimestre e della pianificazione per il prossimo anno.",
        "Prima di tutto voglio ringraziare tutti i dipendenti per il loro duro lavoro. Le vendite "
        "sono aumentate e i clienti non sono mai stati così contenti.",
    ],
}

Part = tuple[str, str, np.ndarray]  # (language, reference text, samples)


def _clip(name: str, refs: dict[str, str]) -> Part:
    audio, rate = sf.read(SHARED / name, dtype="float32")
    assert rate == RATE and audio.ndim == 1, name
    lang = "ko" if name.startswith("korean") else "en"
    return lang, refs[name], audio


def _espeak(lang: str, text: str, work: Path) -> Part:
    raw, wav = work / "espeak.wav", work / "espeak16.wav"
    subprocess.run(["espeak-ng", "-v", lang, "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-r", str(RATE), "-c", "1", str(wav)], check=True)
    audio, _ = sf.read(wav, dtype="float32")
    return lang, text, audio


def _pause(seconds: float) -> Part:
    return "", "", np.zeros(int(seconds * RATE), dtype=np.float32)


def build(cache: Path) -> dict[str, list[tuple[str, str]]]:
    """Write the inputs into ``cache``; return each input's parts (language, reference) in
    order, parts of one language joined."""
    index = cache / "parts.json"
    if index.exists():
        return dict(json.loads(index.read_text(encoding="utf-8")))
    cache.mkdir(parents=True, exist_ok=True)
    refs = json.loads((SHARED / "references.json").read_text(encoding="utf-8"))
    jfk = _clip("jfk.wav", refs)
    libri = _clip("librispeech_1272-128104-0000.wav", refs)
    talk = _clip("pyannote_sample.wav", refs)
    korean = _clip("korean_read_1.wav", refs)
    p = _pause
    work = cache / "work"
    work.mkdir(exist_ok=True)
    said = {lang: [_espeak(lang, text, work) for text in texts] for lang, texts in ESPEAK.items()}
    inputs: dict[str, list[Part]] = {
        "en_ko_en": [jfk, p(1.5), libri, p(2.0), *[x for _ in range(8) for x in (korean, p(0.5))],
                     p(2.0), jfk],
        "en_de_it": [jfk, p(1.5), libri, p(1.5), jfk, p(3.0), said["de"][0], p(1.0),
                     said["de"][1], p(1.5), said["it"][0], p(1.0), said["it"][1], p(3.0), jfk],
        "de_es": [said["de"][0], p(1.0), said["de"][1], p(1.5), said["es"][0], p(1.0),
                  said["es"][1]],
        "ko_en": [*[x for _ in range(4) for x in (korean, p(0.5))], p(2.0), jfk, p(1.5), libri,
                  p(1.5), talk],
        "en_control": [jfk, p(1.5), libri, p(1.5), talk, p(1.5), jfk],
    }  # fmt: skip
    parts: dict[str, list[tuple[str, str]]] = {}
    for name, pieces in inputs.items():
        sf.write(cache / f"{name}.wav", np.concatenate([a for _, _, a in pieces]), RATE)
        joined: dict[str, list[str]] = {}
        for lang, text, _ in pieces:
            if lang:
                joined.setdefault(lang, []).append(text)
        parts[name] = [(lang, " ".join(texts)) for lang, texts in joined.items()]
    shutil.rmtree(work)
    index.write_text(json.dumps(parts, ensure_ascii=False, indent=1), encoding="utf-8")
    return parts


def tokens(text: str, lang: str) -> Counter[str]:
    """Lower-case words without punctuation; characters for Korean (spacing varies)."""
    text = unicodedata.normalize("NFC", text).lower()
    text = re.sub(r"[^\w\s']", " ", text)
    if lang == "ko":
        return Counter(c for c in text if "\uac00" <= c <= "\ud7a3")
    return Counter(text.split())


def found_share(reference: str, hypothesis: str, lang: str) -> float:
    """The share of the reference's tokens that the hypothesis holds (as a multiset)."""
    ref, hyp = tokens(reference, lang), tokens(hypothesis, lang)
    total = sum(ref.values())
    return sum(min(n, hyp[t]) for t, n in ref.items()) / total if total else 1.0


def commands(inputs: list[Path], out: Path, model: str) -> dict[str, list[str]]:
    files = [str(p) for p in inputs]
    wct = [str(BIN / "whisper-ctranslate2"), "--model_directory", model, "--compute_type", "int8",
           "--beam_size", "5", "--vad_filter", "True", "--output_format", "srt", "--device", "cpu",
           "--verbose", "False", "--local_files_only", "True"]  # fmt: skip
    woasr = [PY, "-m", "woasr_cli", "transcribe", *files, "-f", "srt", "--model", model,
             "--compute-type", "int8", "--beam-size", "5", "--quiet"]  # fmt: skip
    return {
        "wct-default": [*wct, "--output_dir", str(out / "wct-default"), *files],
        "wct-batched": [*wct, "--batched", "True", "--batch_size", "8", "--output_dir",
                        str(out / "wct-batched"), *files],
        "woasr-default": [*woasr, "-o", str(out / "woasr-default"), "--manifest",
                          str(out / "woasr.db")],
        # --batch-size 1: faster-whisper's sequential decoder, 30 s windows at a time
        "woasr-sequential": [*woasr, "--batch-size", "1", "-o", str(out / "woasr-sequential"),
                             "--manifest", str(out / "woasr-sequential.db")],
    }  # fmt: skip


def base_model() -> str:
    from woasr_cli.models.resolve import resolve_ct2_model

    return str(resolve_ct2_model("base").path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/woasr-bench/languages"))
    parser.add_argument("--only", nargs="*", default=None, help="runner names")
    parser.add_argument("--model", default=None, help="a multilingual CTranslate2 directory")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    parts = build(args.cache)
    model = args.model or base_model()
    out = args.cache / "out"
    shutil.rmtree(out, ignore_errors=True)
    inputs = [args.cache / f"{name}.wav" for name in parts]
    results: dict[str, dict[str, object]] = {}
    for runner in args.only or RUNNERS:
        per_input: dict[str, object] = {}
        for path in inputs:  # one at a time: a wall time per input
            cmd = commands([path], out, model)[runner]
            require(cmd)
            started = time.monotonic()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=ENV)
            wall = time.monotonic() - started
            srt_path = out / runner / f"{path.stem}.srt"
            text = transcript_text(srt_path) if srt_path.exists() else ""
            shares = {lang: found_share(ref, text, lang) for lang, ref in parts[path.stem]}
            per_input[path.stem] = {"wall": round(wall, 1), "found": shares}
        results[runner] = per_input
    print(f"{'input':12} {'part':4} " + " ".join(f"{r:>14}" for r in results))
    for name in parts:
        for lang, _ in parts[name]:
            row = [results[r][name]["found"][lang] for r in results]  # type: ignore[index]
            print(f"{name:12} {lang:4} " + " ".join(f"{v:14.2f}" for v in row))
        walls = [results[r][name]["wall"] for r in results]  # type: ignore[index]
        print(f"{name:12} wall " + " ".join(f"{w:13.1f}s" for w in walls))
    if args.json:
        args.json.write_text(json.dumps({"parts": parts, "results": results}, indent=1))


if __name__ == "__main__":
    main()
