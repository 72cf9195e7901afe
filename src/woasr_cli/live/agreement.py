"""LocalAgreement-2: commit the words two consecutive hypotheses agree on.

Each pass re-transcribes the audio buffer; the words both this hypothesis and the previous one
begin with (after what is already committed) are committed and never change again. Two guards
keep committed text from repeating: words that start before the last committed word ended are
dropped, and a hypothesis whose first 1-5 words repeat the last committed ones (Whisper re-reads
a word cut at a buffer trim) loses them, unless they start a clear pause (``_SAID_AGAIN``) after
the last committed word: then they were said again ("Hello? ... Hello?").

Two bounds on agreement, both judged by the caller from the speech heard after a word: a word
not ``ready`` (too little speech after it: tiny.en heard "And so my" as "And so am I" in two
passes over 2-3 s of audio, and as "my" once the next words came) waits even when two passes
agree; a ``settled`` word (so much speech after it that a later pass would hear it no better) is
committed from this pass alone, so overlapping talk on which passes keep disagreeing does not
hold its words back for ten seconds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from woasr_cli.transcript import Word

_MAX_NGRAM = 5
_TIME_SLACK = 0.1  # word times move by a frame or two between passes
_SAID_AGAIN = 0.5  # seconds after the last committed word: a repeat there is no re-read
_PUNCT = re.compile(r"[^\w']+")


def norm(text: str) -> str:
    """Compare words without case or punctuation: 'Hello,' in one pass is 'hello' in the next."""
    return _PUNCT.sub("", text.lower())


class LocalAgreement:
    def __init__(self) -> None:
        self.committed: list[Word] = []
        self.pending: list[Word] = []  # the last hypothesis past the committed words
        self.last_end = 0.0  # stream time the committed text reaches

    def update(
        self,
        hypothesis: Sequence[Word],
        guard: bool = True,
        *,
        ready: Callable[[Word], bool] | None = None,
        settled: Callable[[Word], bool] | None = None,
    ) -> list[Word]:
        """Take a new hypothesis (stream times); return the words it commits: those it begins
        with that the previous hypothesis began with too (and are ``ready``), then any that are
        ``settled``. ``guard``: the hypothesis was heard over audio of committed words, so a head
        that repeats the last committed words is that audio read again."""
        new = self._unseen(hypothesis, guard)
        agreed, agreeing = 0, True
        for i, cur in enumerate(new):
            agreeing = (
                agreeing
                and i < len(self.pending)
                and norm(self.pending[i].text) == norm(cur.text)
                and (ready is None or ready(cur))
            )
            if not agreeing and (settled is None or not settled(cur)):
                break
            agreed += 1
        self.pending = new[agreed:]
        return self._commit(new[:agreed])

    def flush(self, hypothesis: Sequence[Word] | None = None, guard: bool = True) -> list[Word]:
        """Commit all of ``hypothesis`` past the committed words (or the pending words): at the
        end of an utterance or of the stream, where no later pass can confirm them."""
        words = self.pending if hypothesis is None else self._unseen(hypothesis, guard)
        self.pending = []
        return self._commit(words)

    def _commit(self, words: list[Word]) -> list[Word]:
        if words:
            self.committed.extend(words)
            self.last_end = max(self.last_end, words[-1].end)
        return words

    def _unseen(self, hypothesis: Sequence[Word], guard: bool) -> list[Word]:
        new = [w for w in hypothesis if w.start > self.last_end - _TIME_SLACK and norm(w.text)]
        if not guard or not new or not self.committed or new[0].start - self.last_end > _SAID_AGAIN:
            return new
        tail = [norm(w.text) for w in self.committed[-_MAX_NGRAM:]]
        head = [norm(w.text) for w in new[:_MAX_NGRAM]]
        for n in range(min(len(tail), len(head)), 0, -1):
            if tail[-n:] == head[:n]:
                return new[n:]
        return new
