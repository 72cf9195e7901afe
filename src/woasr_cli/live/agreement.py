"""LocalAgreement-2: commit the words two consecutive hypotheses agree on.

Each pass re-transcribes the audio buffer; the words both this hypothesis and the previous one
begin with (after what is already committed), at about the same time (``_MOVED``), are
committed and never change again. Two passes that read the same word a second apart do not
agree on it: a quick pass that stopped short at pyannote_sample's "So, [I don't hear that in New
Jersey] now." timed its one "So," over the words it left out, and once that "So," was committed
there, the pause pass's reading of them lay before the committed end and was dropped as already
said ("So, now." in about 1 of 40 wall-clock streams). Two guards
keep committed text from repeating: words that start before the last committed word ended are
dropped, and a hypothesis whose first 1-5 words repeat the last committed ones (Whisper re-reads
a word cut at a buffer trim, or one whose times moved) loses them, unless they were said again:
they start a clear pause (``_SAID_AGAIN``) after the last committed word ("Hello? ... Hello?"),
or the same pass heard the last committed word where it was and the repeat after it, each of
its words a real word's length (``_SAID_WORD``) overlapping the committed word it repeats by at
most a sliver ("Hello? hello. hello." of "Hello? Hello? Oh, hello."). A re-read lacks the
reading in place (the pass read that audio as the repeat: "So" 28.72 s committed, "So" 28.72 s
again) or is a squeezed-in fragment (zero-length and 0.1 s words: Whisper's guesses).

Two bounds on agreement, both judged by the caller from the speech heard after a word: a word
not ``ready`` (too little speech after it: tiny.en heard "And so my" as "And so am I" in two
passes over 2-3 s of audio, and as "my" once the next words came) waits even when two passes
agree; a ``settled`` word (so much speech after it that a later pass would hear it no better) is
committed from this pass alone, so overlapping talk on which passes keep disagreeing does not
hold its words back for ten seconds. The earlier of two agreeing passes must have heard a
little audio after the word (``_HEARD_AFTER``): the last words before a buffer's end are read
from half a word, and the next pass, over nearly the same audio, often reads them the same
way (jfk's "your coun-" as "you are cut" at 7.07 s of the stream and "you are country" at
7.58 s, committed; "your country" from 8.10 s on). A number that ends what two passes agree on
waits for the next word (Whisper rewrites "12" as "12.5%" when it hears the rest).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from woasr_cli.live.reread import read_past
from woasr_cli.transcript import Word
from woasr_cli.word_loops import norm

_MAX_NGRAM = 5
_TIME_SLACK = 0.1  # word times move by a frame or two between passes
_SAID_AGAIN = 0.5  # seconds after the last committed word: a repeat there is no re-read
_SAID_WORD = 0.2  # a word said again lasts this long at least (re-read fragments are shorter)
_SLIVER = 0.25  # of a word: the most a word said again overlaps the committed one it repeats
_MOVED = 0.5  # seconds a word's start may move between two passes that agree on it
_HEARD_AFTER = 0.35  # seconds of audio the earlier pass heard after a word it agrees on
_SPREAD_OFF = 1.0  # seconds a word's time shared out over a segment may be off its own
_PLACE = 0.1  # words per second: an alignment ending that far from the committed end costs it


class LocalAgreement:
    def __init__(self) -> None:
        self.committed: list[Word] = []
        self.pending: list[Word] = []  # the last hypothesis past the committed words
        self.last_end = 0.0  # stream time the committed text reaches
        self.pending_until = float("inf")  # stream time the pass of the pending words heard to

    def update(
        self,
        hypothesis: Sequence[Word],
        guard: bool = True,
        *,
        ready: Callable[[Word], bool] | None = None,
        settled: Callable[[Word], bool] | None = None,
        timed: bool = True,
        heard_until: float = float("inf"),
    ) -> list[Word]:
        """Take a new hypothesis (stream times); return the words it commits: those it begins
        with that the previous hypothesis began with too (and are ``ready``), then any that are
        ``settled``. ``guard``: the hypothesis was heard over audio of committed words, so a head
        that repeats the last committed words is that audio read again. ``timed``: the words
        have the model's own times (not a segment's shared out by length, which move as the
        segment grows): two passes then agree on a word only at about the same time.
        ``heard_until``: the stream time this hypothesis's audio reaches; the next pass agrees
        only on its words that ended ``_HEARD_AFTER`` before it."""
        new = self._unseen(hypothesis, guard) if timed else self._unread(hypothesis)
        agreed, agreeing = 0, True
        for i, cur in enumerate(new):
            agreeing = (
                agreeing
                and i < len(self.pending)
                and norm(self.pending[i].text) == norm(cur.text)
                and (not timed or abs(self.pending[i].start - cur.start) <= _MOVED)
                and (ready is None or ready(cur))
                and (not timed or self.pending[i].end <= self.pending_until - _HEARD_AFTER)
            )
            if not agreeing and (settled is None or not settled(cur)):
                break
            agreed += 1
        # Whisper writes a number once it has heard all of it ("12" becomes "12.5%", "1"
        # becomes "1-800-555-0199" as the speech goes on): one that ends what is committed now
        # waits for a word after it, or until it is settled.
        while agreed and _may_grow(new[agreed - 1]) and not (settled and settled(new[agreed - 1])):
            agreed -= 1
        self.pending = new[agreed:]
        self.pending_until = heard_until
        return self._commit(new[:agreed])

    def flush(
        self, hypothesis: Sequence[Word] | None = None, guard: bool = True, timed: bool = True
    ) -> list[Word]:
        """Commit all of ``hypothesis`` past the committed words (or the pending words): at the
        end of an utterance or of the stream, where no later pass can confirm them."""
        if hypothesis is None:
            words = self.pending
        else:
            words = self._unseen(hypothesis, guard) if timed else self._unread(hypothesis)
        self.pending = []
        return self._commit(words)

    def _commit(self, words: list[Word]) -> list[Word]:
        if words:
            self.committed.extend(words)
            self.last_end = max(self.last_end, words[-1].end)
        return words

    def _unseen(self, hypothesis: Sequence[Word], guard: bool) -> list[Word]:
        new = [w for w in hypothesis if norm(w.text) and self._after_committed(w)]
        if not guard or not new or not self.committed or new[0].start - self.last_end > _SAID_AGAIN:
            return new
        tail = [norm(w.text) for w in self.committed[-_MAX_NGRAM:]]
        head = [norm(w.text) for w in new[:_MAX_NGRAM]]
        for n in range(min(len(tail), len(head)), 0, -1):
            if tail[-n:] == head[:n]:
                heard = [w for w in hypothesis if w.start <= self.last_end - _TIME_SLACK]
                if self._said_again(self.committed[-n:], new[:n], heard):
                    return new
                return new[n:]
        return new

    def _unread(self, hypothesis: Sequence[Word]) -> list[Word]:
        """The words of a hypothesis without word times past what is committed, found by text:
        its times are a segment's shared out by word length, a second or more off, so a
        committed word's end says little about where the hypothesis reads past it (whisperX
        live lost "ask" of jfk's "Americans ask not" so, and read "am I" committed as "my"
        again). The committed words the hypothesis's audio covers are aligned with its words
        by edit distance (``reread.read_past``: "my" read for "am I", "ask" for "asked"); what
        follows the words the alignment spends on them is new."""
        words = [w for w in hypothesis if norm(w.text)]
        if not words or not self.committed:
            return words
        start = words[0].start + _TIME_SLACK
        covered = [w for w in self.committed if w.end > start]
        if not covered:
            return words
        # The committed words up to a second before the pass's audio may be read by it too
        # (their times are shared out as well), or not at all.
        before = [w for w in self.committed if start - _SPREAD_OFF < w.end <= start]
        said = [norm(w.text) for w in before + covered]
        heard = [norm(w.text) for w in words]
        if set(said[len(before) :]) & set(heard):
            # Where a reading ends is about where the committed text ends, as near as shared-out
            # times tell: a tie-break between alignments that cost the same.
            edges = [w.start for w in words] + [words[-1].end]
            place = [_PLACE * abs(t - self.last_end) for t in edges]
            read = read_past(said, heard, len(before), place)
            if read is not None:
                return words[read:]
        return [w for w in words if self._after_committed(w)]

    def _after_committed(self, word: Word) -> bool:
        """Whether ``word`` lies past the committed text: it starts after its end, or - its
        start moved earlier in this pass (word edges move by a tenth of a second or more
        between passes: "3.30pm." at 2.60 s after "at" was committed to 2.76 s) - most of it
        lies past that end and it is no reading of the last committed word ("3.30pm." after a
        committed "3.30" is)."""
        if word.start > self.last_end - _TIME_SLACK:
            return True
        if not self.committed or word.end - self.last_end < _SAID_WORD:
            return False
        middle = (word.start + word.end) / 2
        return middle > self.last_end and not norm(word.text).startswith(
            norm(self.committed[-1].text)
        )

    def _said_again(self, repeated: list[Word], candidate: list[Word], heard: list[Word]) -> bool:
        """Whether ``candidate`` (the same words as the last committed ones, ``repeated``) was
        said again rather than re-read: the pass's last word before the committed end (of
        ``heard``) is its reading of the last committed word in place, and every word on either
        side lasts ``_SAID_WORD`` at least (zero-length and very short words are Whisper's
        guesses, their times meaningless) with each candidate word overlapping the committed
        word it repeats by a sliver at most."""
        heard = [w for w in heard if norm(w.text)]
        last = repeated[-1]
        if not heard or norm(heard[-1].text) != norm(last.text):
            return False
        overlap = _overlap(heard[-1], last)
        if overlap <= 0 or overlap < 0.5 * min(_length(heard[-1]), _length(last)):
            return False
        return all(
            _length(c) >= _SAID_WORD
            and _length(r) >= _SAID_WORD
            and _overlap(c, r) <= _SLIVER * _length(c)
            for c, r in zip(candidate, repeated, strict=True)
        )


def _may_grow(word: Word) -> bool:
    return any(c.isdigit() for c in word.text)


def _overlap(a: Word, b: Word) -> float:
    return max(0.0, min(a.end, b.end) - max(a.start, b.start))


def _length(word: Word) -> float:
    return word.end - word.start
