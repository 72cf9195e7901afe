"""The language each pass of a live stream decodes in, on a multilingual model told none.

Each pass's language is detected on its own encoder output (``pass_languages`` of the
provider: no second encoder run, and passes during speech keep their short window). Whisper's
guess over a second or two of speech is its weakest: in a stream of English clips, 4 of 370
passes heard Latin at under 0.5 and decoded it so. So once a pass over at least
``MIN_SPEECH`` seconds of speech has heard a language at least ``PIN_P`` likely, that is the
stream's language, and later passes decode in it unless theirs clearly is not it: the stream's
language at most ``FILE_MAX_P`` likely (the rule of a file's 30 s slots, slot_language.py,
without its bar on the other language: a speaker who turns from English to German is heard as
German within a second or two, when German is still only 0.3 likely but English 0.04, instead
of being translated into English). A pass that hears another language as clearly as the first
one moves the stream to it.
"""

from __future__ import annotations

from collections.abc import Sequence

from woasr_cli.providers.slot_language import FILE_MAX_P, SWITCH_MIN_P

PIN_P = SWITCH_MIN_P  # a language this likely ...
MIN_SPEECH = 1.0  # ... over this many seconds of speech is the stream's


class StreamLanguage:
    """The language of one stream, as its passes have heard it."""

    def __init__(self) -> None:
        self.language: str | None = None  # None until a pass heard one clearly

    def choose(self, detected: Sequence[tuple[str, float]], speech: float) -> str:
        """The language to decode a pass in, from its ``detected`` languages (code,
        probability; most likely first) over ``speech`` seconds of speech."""
        top, p_top = detected[0]
        clear = p_top >= PIN_P and speech >= MIN_SPEECH
        if self.language is not None and top != self.language:
            own = next((p for code, p in detected if code == self.language), 0.0)
            if own > FILE_MAX_P:
                return self.language
        if clear:
            self.language = top
        return top
