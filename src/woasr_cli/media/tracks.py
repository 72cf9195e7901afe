"""Which of a file's audio tracks is transcribed: the one players play, or the one asked.

A track is asked by its place among the file's audio tracks, 0-based as ffmpeg's
``-map 0:a:N`` counts them, or by the language tag the file gives it (``eng``, ``deu``), as
written there: tags are matched as they stand (ISO 639-2 in MP4 and Matroska, where German may
be ``ger`` or ``deu``), not translated from ``de``, so a tag asked finds the track it names or
fails, naming the tags there are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from woasr_cli.errors import MediaError

if TYPE_CHECKING:
    from av.audio.stream import AudioStream


def pick_track(tracks: Sequence[AudioStream], asked: int | str | None) -> AudioStream:
    """The track ``asked``, or (None) the one players play: the first marked default, else the
    first (a film with a dub or a commentary track put first plays its default track). A track
    the file lacks raises MediaError, saying which it has."""
    from av.stream import Disposition

    if asked is None:
        return next((t for t in tracks if t.disposition & Disposition.default), tracks[0])
    if isinstance(asked, int):
        if asked >= len(tracks):
            raise MediaError(f"audio track {asked} asked, the file has {_count(tracks)}")
        return tracks[asked]
    tagged = [k for k, t in enumerate(tracks) if _language(t) == asked]
    if len(tagged) == 1:
        return tracks[tagged[0]]
    if tagged:
        places = ", ".join(map(str, tagged))
        raise MediaError(f"audio tracks {places} are all tagged '{asked}': ask one by its number")
    tags = ", ".join(f"{k} ({_language(t) or 'no tag'})" for k, t in enumerate(tracks))
    raise MediaError(f"no audio track tagged '{asked}'; the file has {tags}")


def _count(tracks: Sequence[AudioStream]) -> str:
    """``2 (0-1)``, ``1 (0)``: how many audio tracks, and the numbers that ask them."""
    last = len(tracks) - 1
    return f"{len(tracks)} ({'0' if last == 0 else f'0-{last}'})"


def _language(track: AudioStream) -> str | None:
    tag = track.metadata.get("language")
    return tag.strip().lower() if tag and tag.strip() else None
