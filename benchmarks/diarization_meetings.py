"""Meeting-like dialogues for the diarization benchmark: 2-4 voices in turn with unequal talk
time and short interjections ("Right.", "Okay."), some with a quiet speaker (-20 dB) or white
noise (20 dB SNR), each with an enrollment clip per voice (other words by the same voice).

Voices: espeak-ng variants heard as different speakers (``en-us+m3``, ``en+f2``, ``en+m7``,
``en+f4``), hibari-tts's one voice, and real ones cut from the shared clips (jfk, LibriSpeech,
the stereo clip's two channels). A real voice's dialogue turns and its enrollment clip come from
different parts of its recording. Reference turns are each piece's speech as Silero VAD finds it
(as in ``diarization_clips.py``), so DER against them measures speaker errors, not pauses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from diarization_clips import AUDIO, SR, _channel, _espeak, _hibari, _join, _pause

from woasr_cli.media import decode_audio
from woasr_cli.processing.diarization import Turn

LINES = [
    "Let's start with the budget for the next quarter.",
    "The numbers came in higher than we planned, mostly from the new customers.",
    "Can we move the launch to the first week of March?",
    "I talked to the design team yesterday and they need two more weeks.",
    "That works for me, as long as the testing is done by then.",
    "We should also decide who presents the results to the board.",
    "I can do it, but I will need the final slides on Monday.",
    "The north region grew faster than any other this year.",
    "Shipping costs went up again, so the margin is a little lower.",
    "Let's keep the meeting short today, there is a lot to do.",
]
INTERJECTIONS = ["Right.", "Okay.", "Yes.", "Sure.", "Mm-hmm, agreed."]
ENROLL_TEXT = "Hello, this is my voice for the enrollment clip. I am reading a few words to you."


@dataclass
class Voice:
    name: str
    say: Callable[[int], np.ndarray]  # the i-th dialogue line in this voice
    short: Callable[[int], np.ndarray]  # the i-th interjection
    enroll: Callable[[], np.ndarray]


def _synth(name: str, speak: Callable[[str], np.ndarray]) -> Voice:
    return Voice(
        name,
        lambda i: speak(LINES[i % len(LINES)]),
        lambda i: speak(INTERJECTIONS[i % len(INTERJECTIONS)]),
        lambda: speak(ENROLL_TEXT),
    )


def _real(name: str, audio: np.ndarray, enroll_s: float = 4.0) -> Voice:
    """Dialogue pieces from the audio after its first ``enroll_s`` seconds, enrollment before."""
    body = audio[int(enroll_s * SR) :]

    def piece(i: int, seconds: float) -> np.ndarray:
        n = int(seconds * SR)
        at = (i * n * 7) % max(1, len(body) - n)
        return body[at : at + n]

    return Voice(
        name,
        lambda i: piece(i, 3.0),
        lambda i: piece(i + 3, 0.8),
        lambda: audio[: int(enroll_s * SR)],
    )


def voices() -> dict[str, Voice]:
    return {
        "m3": _synth("m3", lambda t: _espeak(t, "en-us+m3")),
        "f2": _synth("f2", lambda t: _espeak(t, "en+f2")),
        "m7": _synth("m7", lambda t: _espeak(t, "en+m7")),
        "f4": _synth("f4", lambda t: _espeak(t, "en+f4")),
        "hibari": _synth("hibari", lambda t: _hibari(t)),
        "jfk": _real("jfk", decode_audio(AUDIO / "jfk.wav")),
        "libri": _real("libri", decode_audio(AUDIO / "librispeech_1272-128104-0000.wav"), 2.0),
        "left": _real("left", _channel(0), 1.5),
        "right": _real("right", _channel(1), 1.5),
    }


# Who speaks, turn by turn: an upper-case letter a line, a lower-case one an interjection.
# Talk time is unequal on purpose (A most, the last speaker least).
SCRIPTS = {
    3: "A B a C A b A B c A C B a",
    4: "A B a C A D b A B c A d C B a D",
}
CASES: list[tuple[str, list[str], str]] = [  # name, voices for A, B, C..., variation
    ("espeak_3", ["m3", "f2", "m7"], ""),
    ("espeak_4", ["m3", "f2", "m7", "f4"], ""),
    ("hibari_espeak_3", ["hibari", "m3", "f2"], ""),
    ("real_3", ["jfk", "libri", "left"], ""),
    ("mixed_4", ["jfk", "hibari", "f2", "right"], ""),
    ("espeak_3_quiet", ["m3", "f2", "m7"], "quiet"),
    ("espeak_4_quiet", ["m3", "f2", "m7", "f4"], "quiet"),
    ("real_3_quiet", ["jfk", "libri", "left"], "quiet"),
    ("espeak_3_noise20", ["m3", "f2", "m7"], "noise"),
    ("mixed_4_noise20", ["jfk", "hibari", "f2", "right"], "noise"),
    ("real_3_quiet_noise20", ["jfk", "libri", "left"], "quiet+noise"),
]


@dataclass
class Meeting:
    name: str
    audio: np.ndarray
    count: int
    turns: list[Turn]
    enroll: dict[str, np.ndarray]  # voice name -> enrollment clip


def _noisy(audio: np.ndarray, snr: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    power = float(np.mean(audio**2)) / 10 ** (snr / 10)
    return audio + rng.standard_normal(len(audio)).astype(np.float32) * np.sqrt(power)


def meetings() -> Iterator[Meeting]:
    """Each case in ``CASES``: the quiet speaker is the last one (least talk time)."""
    vs = voices()
    for n in range(len(CASES)):
        yield meeting(n, vs)


def meeting(n: int, vs: dict[str, Voice] | None = None) -> Meeting:
    """The ``n``-th case in ``CASES`` (tests build one alone)."""
    vs = vs or voices()
    name, cast, variation = CASES[n]
    letters = SCRIPTS[len(cast)].split()
    pieces = []
    for i, letter in enumerate(letters):
        v = vs[cast[ord(letter.upper()) - ord("A")]]
        audio = v.say(i) if letter.isupper() else v.short(i)
        if "quiet" in variation and v.name == cast[-1]:
            audio = audio * np.float32(10 ** (-20 / 20))
        pieces.append((audio, v.name))
    audio, turns = _join(pieces)
    audio = np.concatenate([_pause(0.3), audio])
    turns = [Turn(t.start + 0.3, t.end + 0.3, t.speaker) for t in turns]
    if "noise" in variation:
        audio = _noisy(audio, 20.0, n)
    return Meeting(f"meeting/{name}", audio, len(cast), turns, {c: vs[c].enroll() for c in cast})
