"""LocalAgreement-2 on hand-made hypotheses: what is committed, and the guards against repeats."""

from __future__ import annotations

from woasr_cli.live.agreement import LocalAgreement
from woasr_cli.transcript import Word


def words(text: str, start: float = 0.0, step: float = 0.5) -> list[Word]:
    return [Word(start + i * step, start + (i + 1) * step, t) for i, t in enumerate(text.split())]


def test_commits_only_what_two_passes_agree_on() -> None:
    la = LocalAgreement()
    assert la.update(words("and so my")) == []
    committed = la.update(words("And so, my fellow"))
    assert [w.text for w in committed] == ["And", "so,", "my"]  # case and commas do not count
    assert [w.text for w in la.pending] == ["fellow"]
    assert [w.text for w in la.update(words("And so my fellow Americans"))] == ["fellow"]
    assert la.update(words("And so my fellow American's ask")) == []  # a changed word waits
    assert [w.text for w in la.pending] == ["American's", "ask"]


def test_committed_words_are_never_offered_again() -> None:
    la = LocalAgreement()
    la.update(words("one two three"))
    la.update(words("one two three four"))
    # A later pass re-reads the committed words (times drift by a frame): nothing repeats.
    assert la.update(words("one two three four five", start=0.05)) == [Word(1.55, 2.05, "four")]
    assert [w.text for w in la.flush()] == ["five"]
    assert [w.text for w in la.committed] == ["one", "two", "three", "four", "five"]


def test_ngram_guard_drops_a_reread_head_after_a_trim() -> None:
    la = LocalAgreement()
    la.flush(words("ask what you can do"))
    # After a trim Whisper re-reads 'can do' with times past the last commit.
    again = words("can do for your country", start=2.5)
    assert [w.text for w in la.flush(again)] == ["for", "your", "country"]


def test_ngram_guard_keeps_a_word_said_again_after_a_pause() -> None:
    la = LocalAgreement()
    la.flush(words("hello"))
    # Over audio kept across a pause the guard is on, but 0.6 s after the last commit the
    # same word is said again, not re-read.
    assert [w.text for w in la.flush(words("hello", start=1.1))] == ["hello"]
    assert [w.text for w in la.flush(words("hello", start=1.7))] == []  # re-read: 0.1 s


def test_no_guard_after_a_pause_keeps_a_word_said_twice() -> None:
    la = LocalAgreement()
    la.flush(words("hello"))
    assert [w.text for w in la.flush(words("hello", start=1.2), guard=False)] == ["hello"]


def test_a_provider_without_word_times_gets_them_spread_over_the_segment() -> None:
    from woasr_cli.live.words import hypothesis_words
    from woasr_cli.transcript import Segment

    spread = hypothesis_words([Segment(1.0, 4.0, "ab abcd")], offset=10.0)
    assert [(w.text, round(w.start, 3), round(w.end, 3)) for w in spread] == [
        ("ab", 11.0, 12.0),
        ("abcd", 12.0, 14.0),
    ]


def test_a_word_without_enough_speech_after_it_waits_even_when_two_passes_agree() -> None:
    la = LocalAgreement()
    heard_after = {"And": 1.6, "so": 1.3, "am": 1.0, "I": 0.9}  # seconds of speech after each
    la.update(words("And so am I"))
    committed = la.update(words("And so am I fellow"), ready=lambda w: heard_after[w.text] >= 1.2)
    assert [w.text for w in committed] == ["And", "so"]
    assert [w.text for w in la.pending] == ["am", "I", "fellow"]
    # With the next words heard the pass changes its mind, and nothing wrong was committed.
    assert la.update(words("my fellow Americans", start=1.0)) == []


def test_a_settled_word_is_committed_without_agreement() -> None:
    la = LocalAgreement()
    la.update(words("I need the design okay"))
    # Overlapping talk: each pass reads the start differently, so nothing would ever agree.
    settled = {"Neither", "did"}
    committed = la.update(words("Neither did I okay then"), settled=lambda w: w.text in settled)
    assert [w.text for w in committed] == ["Neither", "did"]
    assert [w.text for w in la.pending] == ["I", "okay", "then"]


def test_a_decoding_loop_is_cut_to_one_copy() -> None:
    from woasr_cli.live.words import cut_loop

    loop = words("afternoon. " + "Thank you very much, and " * 13)
    assert [w.text for w in cut_loop(loop)] == [
        "afternoon.",
        "Thank",
        "you",
        "very",
        "much,",
        "and",
    ]
    # Words said again by a speaker are no loop: a short run, or fewer than three copies.
    said = words("Hello? Hello? Hello? I didn't know. I didn't know. you were there")
    assert cut_loop(said) == said
