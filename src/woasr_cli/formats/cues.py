"""Subtitle cues from a transcript: speaker turns, line wrapping, per-word highlighting.

By default cues follow subtitle guidelines (formats/layout.py); with ``subtitle_layout="none"``
each segment (each speaker turn in it) is one cue, wrapped only as the options say (with
``max_line_count`` a segment of more lines goes on in the next cue, as whisper's writer does).

Shared by the SRT and VTT writers, which only render. Guarantees, whatever the transcript: cues
in time order, each ``end > start``, none overlapping the next, no blank lines inside a cue. A
writer that shows the speaker before a cue's first line (SRT's "[Alice]: ") passes its ``label``,
and that line is laid out with the label's columns taken off its width.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from woasr_cli.errors import InputError
from woasr_cli.formats import layout
from woasr_cli.formats.options import FormatOptions
from woasr_cli.spacing import columns, join, separator, unspaced
from woasr_cli.transcript import Segment, Transcript, Word

_MIN_CUE_S = 0.05
_OPENING = ("Ps", "Pi")  # Unicode categories of opening brackets and quotes
# Private-use characters mark the highlighted word; writers turn them into their own markup
# after escaping, so transcript text can never forge or break the markup.
HIGHLIGHT_ON, HIGHLIGHT_OFF = "\ue000", "\ue001"
Label = Callable[[str], str]  # a speaker's label as a writer puts it before the first line
# languages that write nouns with a capital letter: there one does not start a sentence
_NOUN_CAPITALS = frozenset({"de", "lb"})
# txt, tsv and rttm keep whole segments (split only where the speaker changes)
SEGMENT_CUES = FormatOptions(subtitle_layout="none")
NO_WORD_TIMES = (
    "no word times (transcribed without word timestamps): nothing for --highlight-words to "
    "underline"
)


@dataclass
class Cue:
    start: float
    end: float
    lines: list[str]
    speaker: str | None = None

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def clean(text: str) -> str:
    """One line of text: no line breaks or runs of blanks (they would end a cue early)."""
    return " ".join(text.replace(HIGHLIGHT_ON, "").replace(HIGHLIGHT_OFF, "").split())


def _words_of(segment: Segment) -> list[Word]:
    """Timed words; a segment without them gets times shared out by character count."""
    if segment.words:
        return [w for w in segment.words if clean(w.text)]
    tokens = clean(segment.text).split(" ") if clean(segment.text) else []
    total = sum(len(t) + 1 for t in tokens) or 1
    span = max(segment.end - segment.start, 0.0)
    words, t = [], segment.start
    for token in tokens:
        step = span * (len(token) + 1) / total
        words.append(Word(t, t + step, token, None, segment.speaker))
        t += step
    return words


def _fitted(words: list[Word], width: int) -> list[Word]:
    """Words as lines can hold them: a word wider than a line that is written in a script
    without spaces (a Chinese or Japanese segment without word times is one "word", as is a
    whole sentence of a stretch decoded in another language than the file's) is split
    between its characters, its time shared out by width, so cues can be cut inside it. A
    wide word in a spaced script (a URL) stays whole: it gets a cue of its own."""
    out: list[Word] = []
    for word in words:
        if columns(word.text) <= width or not any(unspaced(c) for c in word.text):
            out.append(word)
            continue
        pieces = _unspaced_pieces(word.text)
        total = sum(columns(p) for p in pieces) or 1
        span, t = word.end - word.start, word.start
        for k, piece in enumerate(pieces):
            step = span * columns(piece) / total
            out.append(replace(word, start=t, end=t + step, text=piece, space=word.space and not k))
            t += step
    return out


def _unspaced_pieces(text: str) -> list[str]:
    """``text`` cut between the characters of scripts written without spaces; a run of other
    characters (a Latin word, digits) stays whole, punctuation and combining marks stay with
    the character before them (no line starts with "。") and an opening bracket or quote with
    the one after it."""
    pieces: list[str] = []
    for char in text:
        kind = unicodedata.category(char)
        joins = bool(pieces) and (
            (kind[0] in "MP" and kind not in _OPENING)
            or unicodedata.category(pieces[-1][-1]) in _OPENING
            or not (unspaced(char) or unspaced(pieces[-1][-1]))
        )
        if joins:
            pieces[-1] += char
        else:
            pieces.append(char)
    return pieces


def _labelled(segment: Segment) -> list[Word]:
    """The segment's timed words, each with its speaker (its own, else the segment's)."""
    return [replace(w, speaker=w.speaker or segment.speaker) for w in _words_of(segment)]


def _turns(segment: Segment) -> Iterator[tuple[str | None, list[Word]]]:
    """Runs of consecutive words by the same speaker."""
    for speaker, words, _ in _word_turns(_labelled(segment), set()):
        yield speaker, words


def _wrap(
    words: list[Word], width: int | None, indent: int = 0, every: int = 0
) -> list[list[Word]]:
    """Greedy lines of at most ``width`` columns; the first of every ``every`` lines (the first
    line of each cue they make) ``indent`` columns shorter."""
    if width is None:
        return [words]
    lines: list[list[Word]] = [[]]
    length = 0
    for word in words:
        text = clean(word.text)
        gap = len(separator(clean(lines[-1][-1].text), text, word.space)) if lines[-1] else 0
        first = (len(lines) - 1) % every == 0 if every else len(lines) == 1
        room = max(width - indent, 1) if first else width
        if lines[-1] and length + gap + columns(text) > room:
            lines.append([])
            length, gap = 0, 0
        length += gap + columns(text)
        lines[-1].append(word)
    return lines


def _join(words: list[Word]) -> str:
    return clean(join(words))


def _marked(words: list[Word], marked: Word, clip: bool = True) -> str:
    """The words as text with ``marked`` between the highlight marks."""
    out, last = "", ""
    for w in words:
        text = clean(w.text) if clip else w.text
        if not text:
            continue
        shown = f"{HIGHLIGHT_ON}{text}{HIGHLIGHT_OFF}" if w is marked else text
        out += separator(last, text, w.space) + shown
        last = text
    return out


def _segment_cues(segment: Segment, options: FormatOptions, label: Label | None) -> Iterator[Cue]:
    turns = list(_turns(segment))
    shaped = options.max_line_width is not None or options.max_line_count is not None
    if len(turns) <= 1 and not shaped:
        speaker = turns[0][0] if turns else segment.speaker
        yield Cue(segment.start, segment.end, [clean(segment.text)], speaker)
        return
    for speaker, words in turns:
        width = options.max_line_width
        indent = _indent(speaker, label)
        every = options.max_line_count or 0
        lines = _wrap(words if width is None else _fitted(words, width), width, indent, every)
        per_cue = options.max_line_count or len(lines)
        for i in range(0, len(lines), per_cue):
            chunk = lines[i : i + per_cue]
            yield Cue(chunk[0][0].start, chunk[-1][-1].end, [_join(ln) for ln in chunk], speaker)


def _highlight_cues(segment: Segment) -> Iterator[Cue]:
    for speaker, words in _turns(segment):
        for k, word in enumerate(words):
            if k + 1 < len(words) and words[k + 1].start <= word.start:
                continue  # no time of its own: see _highlight_laid
            yield Cue(word.start, word.end, [_marked(words, word)], speaker)


def _indent(speaker: str | None, label: Label | None) -> int:
    return columns(label(speaker)) if speaker and label else 0


def limits_of(options: FormatOptions) -> layout.Limits:
    """The default layout's limits, with the options' values where given."""
    return layout.Limits(
        width=options.max_line_width or layout.MAX_LINE_WIDTH,
        lines=options.max_line_count or layout.MAX_LINE_COUNT,
        words_per_line=options.max_words_per_line,
        duration=options.max_cue_duration or layout.MAX_CUE_DURATION_S,
        chars_per_second=options.max_chars_per_second or layout.MAX_CHARS_PER_SECOND,
    )


def _runs(segments: list[Segment]) -> Iterator[list[Segment]]:
    """Consecutive segments laid out as one stretch of speech: where a model ends a segment is
    no reason for a cue to end (Whisper ends one mid-sentence - "At" | "least, you know" - and
    a cue of "At" flashed by for 0.12 s; a "Hello." said just before the next sentence gets
    too little time alone). A run breaks at a pause (the layout would cut there anyway), at
    words that go back in time, and around a segment without word times (its times are shared
    out within it)."""
    run: list[Segment] = []
    for segment in segments:
        if not clean(segment.text):
            continue
        if run and not _continues(run[-1], segment):
            yield run
            run = []
        run.append(segment)
    if run:
        yield run


def _continues(before: Segment, after: Segment) -> bool:
    if not (before.words and after.words):
        return False
    last, first = before.words[-1], after.words[0]
    return last.start <= first.start and first.start - last.end < layout.PAUSE_S


def _laid_out_cues(
    run: list[Segment],
    options: FormatOptions,
    until: float,
    label: Label | None,
    language: str | None,
) -> Iterator[Cue]:
    limits = limits_of(options)
    capitals = not any((s.language or language) in _NOUN_CAPITALS for s in run)
    if not run[0].words:
        until = run[0].end  # times shared out by characters: never past the segment
    words: list[Word] = []
    ends: set[int] = set()  # where a segment ends: a cut there is cheaper
    for segment in run:
        words += _fitted([replace(w, text=clean(w.text)) for w in _labelled(segment)], limits.width)
        ends.add(len(words))
    highlight = options.highlight_words and bool(run[0].words)
    for speaker, turn, turn_ends in _word_turns(words, ends):
        indent = _indent(speaker, label)
        turn_limits = replace(limits, indent=indent) if indent else limits
        for laid in layout.lay_out(turn, turn_limits, until, turn_ends, capitals):
            if highlight:
                yield from _highlight_laid(laid, speaker)
            else:
                yield Cue(laid.start, laid.end, [_join(ln) for ln in laid.lines], speaker)


def _word_turns(
    words: list[Word], ends: set[int]
) -> Iterator[tuple[str | None, list[Word], frozenset[int]]]:
    """Runs of consecutive words by the same speaker, with the segment ends inside each (as
    numbers of the run's words before them)."""
    start = 0
    for k in range(1, len(words) + 1):
        if k == len(words) or words[k].speaker != words[start].speaker:
            inside = frozenset(e - start for e in ends if start < e < k)
            yield words[start].speaker, words[start:k], inside
            start = k


def _highlight_laid(laid: layout.LaidCue, speaker: str | None) -> Iterator[Cue]:
    """The cue's lines once per word, that word underlined, from its start to the next's."""
    spoken = [w for line in laid.lines for w in line]
    for k, word in enumerate(spoken):
        end = spoken[k + 1].start if k + 1 < len(spoken) else laid.end
        if end <= word.start and k + 1 < len(spoken):
            # A word with no time of its own (Whisper timed "savings" 25.248-25.248, the next
            # word from 25.248): its cue started with the next one's, and the two were merged
            # into one cue showing the lines twice. The next word's cue shows them.
            continue
        lines = [_marked(ln, word, clip=False) for ln in laid.lines]
        yield Cue(word.start, max(end, word.end), lines, speaker)


def build_cues(
    transcript: Transcript, options: FormatOptions, label: Label | None = None
) -> list[Cue]:
    """``label``: how the writer shows a speaker before a cue's first line, where it does (the
    line is then that much shorter); the cues' lines never include it. ``InputError`` for
    ``highlight_words`` on speech without a single word time (nothing to underline)."""
    segments = transcript.segments
    wordless = not any(s.words for s in segments) and any(clean(s.text) for s in segments)
    if options.highlight_words and wordless:
        raise InputError(NO_WORD_TIMES)
    cues: list[Cue] = []
    if options.subtitle_layout != "none":
        end = transcript.duration or float("inf")
        for run in _runs(transcript.segments):
            cues.extend(_laid_out_cues(run, options, end, label, transcript.language))
        return _tidy([c for c in cues if any(c.lines)], transcript.duration)
    for segment in transcript.segments:
        if not clean(segment.text):
            continue
        if options.highlight_words and segment.words:
            cues.extend(_highlight_cues(segment))
        else:
            cues.extend(_segment_cues(segment, options, label))
    return _tidy([c for c in cues if any(c.lines)], transcript.duration)


def _tidy(cues: list[Cue], duration: float | None = None) -> list[Cue]:
    """Order cues; merge ones that start together; give each a length; end none late (after
    the next cue's start, or after the media's ``duration``: a word Whisper times at the very
    end got its 50 ms past it).

    Times are whole milliseconds from here on, the resolution of both subtitle formats, so
    what holds here still holds after rendering.
    """
    for cue in cues:
        cue.start = round(max(cue.start, 0.0), 3)
        cue.end = round(cue.end, 3)
    cues.sort(key=lambda c: c.start)
    merged: list[Cue] = []
    for cue in cues:
        if merged and cue.start <= merged[-1].start:
            if cue.speaker == merged[-1].speaker:
                merged[-1].lines += cue.lines
                merged[-1].end = max(merged[-1].end, cue.end)
                continue
            cue.start = round(merged[-1].start + 0.001, 3)
        merged.append(cue)
    last = round(duration, 3) if duration else None
    for i, this in enumerate(merged):
        this.end = max(this.end, round(this.start + _MIN_CUE_S, 3))
        if last is not None:
            this.end = min(this.end, max(last, round(this.start + 0.001, 3)))
        if i + 1 < len(merged):
            this.end = min(this.end, merged[i + 1].start)
    return merged
