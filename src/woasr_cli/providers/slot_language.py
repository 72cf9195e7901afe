"""Each 30 s slot of a batch decoded in the language it is spoken in, where that is clearly not
the file's.

A file's language is detected once, on its first speech, and every chunk is decoded with it
(the language token of Whisper's prompt). Speech in another language was then lost: Whisper,
told the language is English, skips a Korean stretch as if it were not there (a file of
English, French, Spanish and Korean speech came out with the English alone; one that opens with
17 s of Korean before English lost all the Korean; faster-whisper and whisper-ctranslate2 do
the same). Telling each 30 s slot its own language costs one decoder step on the encoder output
the batch has anyway (CTranslate2 ``detect_language`` on it), but Whisper's guess on one slot is
noisier than on a file: a slot of short speech, a synthetic voice or a language with close
neighbours (Norwegian, Danish, Nynorsk) can come out as another language with 0.3-0.7 of the
probability. So a slot keeps the file's language unless its speech is clearly another: the
other language at least ``SWITCH_MIN_P`` likely and the file's at most ``FILE_MAX_P``
(docs/performance.md, "Files in more than one language": in 245 slots of English-only
recordings, noisy, reverberant, telephone-band and over music among them, English never fell
below 0.76; the Korean slots of an English file were Korean at 0.88-0.99, English <= 0.06).

Only where the language was detected (a language the user gave holds everywhere), and only for
multilingual models. A file whose speech is one chunk (a clip) has no language yet when its
batch runs: its slot is decoded in the language it is heard in, which becomes the file's
(``keeping(None)``; faster_whisper_batch.CrossFileDecoder).

Sequential decoding (``--batch-size 1``) takes the same rule window by window: faster-whisper,
asked for a language per 30 s window (``multilingual=True``), asks the CTranslate2 model, which
:func:`installed` makes a :class:`SlotLanguages`, and :func:`by_window` holds the file's
language while each window is decoded. Without it, a file opening with 17 s of Korean decoded
all of its English as Korean: jfk lost, a librispeech sentence written three times.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from woasr_cli.media import SAMPLE_RATE
from woasr_cli.media.audio import Audio
from woasr_cli.providers.base import LanguageInfo
from woasr_cli.providers.slot_packing import Placement
from woasr_cli.providers.window_language import window_languages
from woasr_cli.transcript import Segment

SWITCH_MIN_P = 0.8  # a slot's own language at least this likely ...
FILE_MAX_P = 0.1  # ... and the file's language at most this


def slot_language(file_language: str, detected: Sequence[tuple[str, float]]) -> str:
    """The language to decode a slot in: ``file_language`` unless ``detected`` (language code,
    probability; most likely first) says clearly that the slot is spoken in another."""
    if not detected:
        return file_language
    top, p_top = detected[0]
    if top == file_language or p_top < SWITCH_MIN_P:
        return file_language
    p_file = next((p for code, p in detected if code == file_language), 0.0)
    return top if p_file <= FILE_MAX_P else file_language


class SlotLanguages:
    """A CTranslate2 Whisper model whose ``detect_language`` on a batch's encoder output gives,
    for each slot, the language :func:`slot_language` chooses with all the probability (what
    faster-whisper's batched decoder puts in the slot's prompt when asked to detect per slot),
    while :meth:`keeping` holds a file language on this thread; anything else is the model's
    own. ``chosen``: the languages of this thread's last batch, slot by slot."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self._local = threading.local()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def keeping(self, language: str | None) -> None:
        """Decode this thread's next batches per slot around ``language``; None: each slot in
        the language it is most likely spoken in (the model's own detection)."""
        self._local.keep = language
        self._local.chosen = []
        self._local.heard = []

    @contextmanager
    def holding(self, language: str) -> Iterator[None]:
        """:meth:`keeping` ``language`` within the block only, for sequential windows
        (:meth:`prompt`); this thread's last choices stay readable after it (``chosen``)."""
        before = getattr(self._local, "keep", None), getattr(self._local, "windows", False)
        self._local.keep, self._local.windows = language, True
        try:
            yield
        finally:
            self._local.keep, self._local.windows = before

    def prompt(self, language: str, previous: list[int]) -> list[int]:
        """The text before it that a sequential window decoded in ``language`` is prompted
        with: none where the window before was decoded in another language. Whisper copies a
        prompt in another language: the first jfk after a window of Italian came out as the
        Italian again (benchmarks/languages.py, en_de_it)."""
        if not getattr(self._local, "windows", False):
            return previous
        last, self._local.prompted = getattr(self._local, "prompted", None), language
        return previous if last in (None, language) else []

    def new_file(self) -> None:
        """This thread's next sequential window is a file's first."""
        self._local.prompted = None

    @property
    def chosen(self) -> list[str]:
        return list(getattr(self._local, "chosen", []))

    @property
    def heard(self) -> list[tuple[str, float]]:
        """Each slot's most likely language and its probability, in this thread's last batch."""
        return list(getattr(self._local, "heard", []))

    def detect_language(self, *args: Any, **kwargs: Any) -> Any:
        found = self._model.detect_language(*args, **kwargs)
        heard = [(str(slot[0][0]).strip("<|>"), float(slot[0][1])) for slot in found]
        self._local.heard = heard
        keep = getattr(self._local, "keep", None)
        if keep is None:
            self._local.chosen = [code for code, _ in heard]
            return found
        chosen = [
            slot_language(keep, [(token.strip("<|>"), float(p)) for token, p in slot])
            for slot in found
        ]
        self._local.chosen = chosen
        return [[(f"<|{code}|>", 1.0)] for code in chosen]


# Two languages each at least this likely in one window: it holds both (session 28: no slot of
# the English-only material had a second language above 0.107; Korean and jfk in one slot came
# out ko 0.60-0.66 / en 0.28-0.33)
BOTH_MIN_P = 0.2
OPENING_S = 15.0  # a window that holds two languages: the file's is that of its first seconds


def opening_language(
    model: Any, audio: Audio, detected: Sequence[tuple[str, float]]
) -> tuple[str, float]:
    """The language of a file decoded sequentially, from ``detected`` on its first 30 s: the most
    likely one, or, where that window holds two languages, the one its first ``OPENING_S``
    seconds are in (one more encoder run, over those seconds). A file of 21 s of English then
    Korean was "Korean" (0.52 against 0.45), so its English windows were decoded under the
    Korean token and its Korean ones, prompted with that English, copied it."""
    if len(detected) < 2 or detected[1][1] < BOTH_MIN_P:
        return detected[0]
    opening = audio[: int(OPENING_S * SAMPLE_RATE)]
    if len(opening) == len(audio):
        return detected[0]
    return window_languages(model, opening)[0]


_installing = threading.Lock()


def installed(model: Any) -> SlotLanguages:
    """A ``faster_whisper.WhisperModel``'s CTranslate2 model as a :class:`SlotLanguages`, put in
    its place once. A thread that holds no language (:func:`by_window`) gets the model's own
    answers, so the model stays what it was for every other use."""
    with _installing:
        if not isinstance(model.model, SlotLanguages):
            languages = SlotLanguages(model.model)
            get_prompt = model.get_prompt

            # (the parameters' names are faster-whisper's: its batched decoder passes
            # previous_tokens by name)
            def prompt(
                tokenizer: Any, previous_tokens: list[int], *args: Any, **kwargs: Any
            ) -> Any:
                kept = languages.prompt(tokenizer.language_code, previous_tokens)
                return get_prompt(tokenizer, kept, *args, **kwargs)

            model.model, model.get_prompt = languages, prompt
        installed_languages: SlotLanguages = model.model
        return installed_languages


def by_window(
    raw: Iterable[Any], languages: SlotLanguages, language: str
) -> Iterator[tuple[Any, str | None]]:
    """faster-whisper's sequential segments of ``transcribe(..., multilingual=True)`` over a file
    whose language is ``language``, each with the language its window was decoded in where that
    is another (:func:`slot_language`). Each step holds ``language`` on the thread that takes
    it, which is where faster-whisper decodes (and detects) the window, lazily."""
    segments = iter(raw)
    languages.new_file()
    while True:
        with languages.holding(language):
            segment = next(segments, None)
            chosen = languages.chosen
        if segment is None:
            return
        spoken = chosen[0] if chosen else language
        yield segment, (spoken if spoken != language else None)


class WithSlotLanguages:
    """A ``WhisperModel`` (or a wrapper of one) whose ``model`` is a :class:`SlotLanguages`
    (``languages``), or a wrapper of it put in its place."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self.languages = SlotLanguages(model.model)
        self.model: Any = self.languages

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)


class ChunkReading(list[Segment]):
    """A chunk's segments from a batch told no language, and ``heard``: the language its slot
    was heard in, read off the batch's encoder output, and its probability."""

    heard: LanguageInfo | None = None


def heard_by_chunk(
    slots: list[LanguageInfo], placements: list[Placement], chunks: int
) -> list[LanguageInfo | None]:
    """Each chunk's slot's language heard (None where none was)."""
    found: list[LanguageInfo | None] = [None] * chunks
    for p in placements:
        if p.slot < len(slots):
            found[p.chunk] = slots[p.slot]
    return found


def heard_reading(segments: list[Segment], heard: LanguageInfo | None) -> ChunkReading:
    """A chunk's segments and the language it was heard in, which is theirs: no segment is
    marked as in another."""
    reading = ChunkReading(replace(s, language=None) for s in segments)
    reading.heard = heard
    return reading
