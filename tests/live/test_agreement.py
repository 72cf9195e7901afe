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


def test_a_word_whose_start_moved_before_the_committed_end_is_not_lost() -> None:
    """`woasr listen` on "arrived at three thirty p.m.": "at" was committed ending at 2.76 s,
    and every later pass started "3.30pm." at 2.60 s, so it was taken for committed audio and
    never shown."""
    la = LocalAgreement()
    before = [Word(1.90, 2.32, "arrived"), Word(2.32, 2.76, "at"), Word(2.76, 3.04, "3.30.")]
    la.update(before)
    la.update([*before[:2], Word(2.76, 3.10, "3:38")])
    assert [w.text for w in la.committed] == ["arrived", "at"]
    moved = [Word(2.32, 2.60, "at"), Word(2.60, 3.66, "3.30pm."), Word(4.30, 4.50, "The")]
    assert [w.text for w in la.update(moved)] == []
    assert [w.text for w in la.pending] == ["3.30pm.", "The"]
    assert [w.text for w in la.update(moved)] == ["3.30pm.", "The"]


def test_a_number_that_ends_the_agreed_words_waits_for_the_next_word() -> None:
    """tiny.en wrote "12" until it heard "point five percent", then "12.5%": committed at once,
    the live text read "grew by 12 to 2.3 million"."""
    la = LocalAgreement()
    la.update(words("revenue grew by 12."))
    assert [w.text for w in la.update(words("revenue grew by 12"))] == ["revenue", "grew", "by"]
    assert [w.text for w in la.update(words("revenue grew by 12.5%."))] == []
    assert [w.text for w in la.update(words("revenue grew by 12.5% to"))] == []
    # followed by an agreed word, or heard long enough (settled), a number goes
    assert [w.text for w in la.update(words("revenue grew by 12.5% to 2 million"))] == [
        "12.5%",
        "to",
    ]
    settled = la.update(words("revenue grew by 12.5% to 2"), settled=lambda w: True)
    assert [w.text for w in settled] == ["2"]


def test_a_later_reading_of_the_last_committed_word_is_not_new() -> None:
    la = LocalAgreement()
    la.flush([Word(2.32, 2.60, "at"), Word(2.62, 3.12, "3.30")])
    # the same audio read as one longer word: the committed "3.30" again, not a new word
    assert la.flush([Word(2.62, 3.64, "3.30pm.")]) == []
    # a re-read of a committed word that only reaches a little past the end is not new either
    assert la.flush([Word(2.50, 3.25, "thirty")]) == []


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
    from woasr_cli.word_loops import cut_loop

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


def test_a_tail_of_guessed_words_is_cut() -> None:
    from woasr_cli.live.words import cut_guessed_tail

    # espeak_dialogue_2spk's pause pass (30 s, beam 5; stream times): after "Tuesday." the
    # decoder squeezed "Thank you very much." into 0.06 s, "Thank" at probability 0.04.
    heard = [
        Word(15.74, 16.2, "Tuesday.", 1.0),
        Word(16.24, 16.24, "Thank", 0.04),
        Word(16.24, 16.26, "you", 0.98),
        Word(16.26, 16.3, "very", 0.09),
        Word(16.3, 16.8, "much.", 0.99),
    ]
    assert [w.text for w in cut_guessed_tail(heard, 16.5)] == ["Tuesday."]
    # espeak_dialogue_2voices' pause pass: "Thank" lasts 0.28 s, the 40 words after it none.
    looped = [Word(21.39, 21.73, "report.", 0.99), Word(21.73, 22.01, "Thank", 0.01)]
    looped += [Word(22.01, 22.01, text, 0.9) for text in ["you", "very", "much,", "and", "thank"]]
    looped += [Word(22.29, 22.29, text, 0.9) for text in ["you", "very", "much,", "and"]]
    assert [w.text for w in cut_guessed_tail(looped, 21.9)] == ["report."]
    # An improbable short word with speech after it is a word heard badly, not a guess: kept.
    said = [
        Word(25.07, 25.4, "least", 0.98),
        Word(25.45, 25.5, "you", 0.06),
        Word(25.95, 26.2, "know", 1.0),
    ]
    assert cut_guessed_tail(said, 26.2) == said
    # So is an improbable word that lasts, at the end (pyannote_sample's "And@24.83(0.03)")
    # or with words after it that last too.
    lasts = [said[0], Word(25.5, 25.8, "so", 0.03)]
    assert cut_guessed_tail(lasts, 26.5) == lasts
    lasts.append(Word(26.2, 26.5, "far", 0.9))
    assert cut_guessed_tail(lasts, 26.5) == lasts
    # Amid speech (more than 1 s before its end) timeless words are real words badly timed.
    assert cut_guessed_tail(heard, 18.0) == heard


def timed(*spec: tuple[str, float, float]) -> list[Word]:
    return [Word(start, end, text) for text, start, end in spec]


# pyannote_sample streamed with 1 s of silence before it (benchmarks/streaming.py), greedy passes
# after the buffer was trimmed at the first committed "Hello?": "Hello? Hello? Oh, hello." is
# said at 7.68-8.16, 8.63-9.16 and 9.44-9.88 s (its .stm).
HELLOS = timed(("Hello?", 7.36, 8.12), ("Hello?", 8.6, 8.92))


def test_a_word_said_again_right_after_the_committed_one_is_kept() -> None:
    la = LocalAgreement()
    la.flush(HELLOS)
    # The pass reads the second "Hello?" where it was, then "Oh, hello" as "hello hello.":
    # they start at the committed end, not over it, so they were said, not re-read.
    heard = timed(("Hello", 8.54, 8.9), ("hello", 8.9, 9.26), ("hello.", 9.26, 9.76))
    heard += timed(("I", 9.88, 9.88), ("didn't", 9.88, 10.12))
    assert [w.text for w in la.flush(heard)] == ["hello", "hello.", "I", "didn't"]
    # One word: the committed "hello" 8.88-9.28, the next "hello." starting 0.02 s before its end.
    la = LocalAgreement()
    la.flush(timed(("Hello?", 7.36, 8.16), ("hello", 8.88, 9.28)))
    heard = timed(("hello", 8.88, 9.28), ("hello.", 9.26, 9.74), ("I", 9.9, 10.1))
    assert [w.text for w in la.flush(heard)] == ["hello.", "I"]
    # The second "Hello?" 0.44 s after the first (tests/live/test_processor.py, the same clip).
    la = LocalAgreement()
    la.flush(timed(("Hello?", 7.36, 8.16)))
    heard = timed(("Hello?", 7.36, 8.12), ("Hello?", 8.6, 8.92), ("Oh,", 9.28, 9.5))
    assert [w.text for w in la.flush(heard)] == ["Hello?", "Oh,"]


def test_a_word_read_again_where_it_was_committed_is_dropped() -> None:
    """Re-reads seen in the benchmark's clips: the pass has no reading of the committed word in
    place, its copy is it (its times moved, or a zero-length word at the same time)."""
    cases = [  # committed, then the pass (its first words lie before the committed end), kept
        (
            timed(("here.", 28.1, 28.42), ("So,", 28.74, 28.74)),
            timed(("down", 27.68, 28.08), ("here.", 28.08, 28.4), ("So", 28.72, 28.72)),
            [],
        ),
        (
            timed(("know", 10.14, 10.3), ("you", 10.3, 10.38)),
            timed(("know", 10.12, 10.3), ("you", 10.3, 10.38), ("were", 10.38, 10.6)),
            ["were"],
        ),
        (
            timed(("the", 1.75, 2.21), ("quarterly", 2.21, 2.21)),
            timed(("the", 1.75, 2.23), ("quarterly", 2.23, 2.23), ("report", 2.23, 2.65)),
            ["report"],
        ),
        (  # a word cut at a trim read again at the buffer start, not in place
            timed(("can", 1.5, 2.0), ("do", 2.0, 2.5)),
            timed(("do", 2.5, 2.8), ("for", 2.8, 3.0)),
            ["for"],
        ),
    ]
    for committed, heard, kept in cases:
        la = LocalAgreement()
        la.flush(committed)
        assert [w.text for w in la.flush(heard)] == kept


def test_zero_length_or_squeezed_words_never_make_a_repeat_look_said_again() -> None:
    # Read in place, then "Hello. Hello." squeezed into 0.36 s: the second is 0.14 s long, a
    # guess, not the word said (the offline transcript's five Hellos for three).
    la = LocalAgreement()
    la.flush(HELLOS)
    heard = timed(("Hello.", 7.72, 8.12), ("Hello.", 8.68, 9.08), ("Hello.", 9.26, 9.48))
    heard += timed(("Hello.", 9.48, 9.62), ("Hello.", 9.84, 9.84), ("I", 9.9, 9.9))
    assert [w.text for w in la.flush(heard)] == ["Hello.", "I"]
    # A zero-length committed word ("I need" with "need" 0 s long, from an earlier pass).
    la = LocalAgreement()
    la.flush(timed(("I", 10.9, 11.2), ("need", 11.2, 11.2)))
    heard = timed(("I", 10.9, 11.2), ("need", 11.2, 11.45), ("to", 11.45, 11.6))
    assert [w.text for w in la.flush(heard)] == ["to"]
    # A zero-length reading in place is no reading; a zero-length copy is no word.
    la = LocalAgreement()
    la.flush(timed(("Hello?", 8.6, 8.92)))
    assert la.flush(timed(("Hello", 8.7, 8.7), ("hello", 8.92, 9.3))) == []
    la = LocalAgreement()
    la.flush(timed(("Hello?", 8.6, 8.92)))
    assert la.flush(timed(("Hello", 8.6, 8.9), ("hello", 9.0, 9.0))) == []


def test_the_same_word_read_a_second_apart_is_no_agreement() -> None:
    """pyannote_sample streamed in real time (1 run in 40): a quick pass stopped short and
    timed its "So," at 29.89-30.53 s, over "I don't hear that New Jersey"; the pass before had
    it at 28.77 s. Committed on the text alone, it made the pause pass's whole sentence lie
    before the committed end, and the stream wrote "So, now." for "So I don't hear that New
    Jersey now."."""
    la = LocalAgreement()
    la.update([Word(28.09, 28.41, "here."), Word(28.77, 28.83, "So,"), Word(28.83, 29.2, "what")])
    assert la.update([Word(28.09, 28.41, "here."), Word(29.89, 30.53, "So,")]) == [
        Word(28.09, 28.41, "here.")
    ]
    heard = words("So what comes in? I don't hear that New Jersey now.", 28.75, 0.18)
    assert [w.text for w in la.flush(heard)] == [w.text for w in heard]
    # a word's start moving by a few frames between passes is still agreement
    la = LocalAgreement()
    la.update([Word(25.13, 25.4, "At"), Word(25.4, 25.9, "least,")])
    assert [w.text for w in la.update(words("At least, you", 25.11, 0.3))] == ["At", "least,"]
    # a provider without word times: a segment's time shared out by length moves as the
    # segment grows, and the text alone decides
    for timed, agreed in ((False, "one two three four"), (True, "one two three")):
        la = LocalAgreement()
        la.update(words("one two three four", 0.0, 0.5), timed=timed)
        committed = la.update(words("one two three four five", 0.0, 0.75), timed=timed)
        assert [w.text for w in committed] == agreed.split()


def test_agreement_needs_audio_after_the_word_in_the_earlier_pass() -> None:
    """jfk streamed (tiny.en, passes at 7.07, 7.58, 8.10 and 8.67 s of stream time): the two
    passes whose buffers ended in "your coun-" both read "you are", the first with "cut" after
    it, and agreement committed "you are country". A word the earlier pass heard less than
    0.35 s of audio after waits for a pass that heard it whole."""
    la = LocalAgreement()
    late = [Word(5.66, 6.52, "what"), Word(6.60, 6.74, "you"), Word(6.74, 6.92, "are")]
    la.update([*late, Word(6.92, 7.07, "cut")], heard_until=7.07)
    country = [Word(6.62, 6.94, "your"), Word(6.94, 7.28, "country"), Word(7.28, 7.68, "can")]
    committed = la.update(
        [*late, Word(7.08, 7.28, "country"), Word(7.28, 7.58, "can")], heard_until=7.58
    )
    assert [w.text for w in committed] == ["what"]  # "you" ended 0.33 s before the buffer did
    assert la.update([late[0], *country, Word(7.68, 7.92, "do")], heard_until=8.10) == []
    committed = la.update(
        [late[0], *country, Word(7.68, 7.92, "do"), Word(7.92, 8.16, "for")], heard_until=8.67
    )
    assert [w.text for w in committed] == ["your", "country", "can"]  # "do" ended at 7.92 s
    assert "are" not in [w.text for w in la.committed]
    # Words with no times of their own (a segment's time shared out) agree on text alone.
    plain = LocalAgreement()
    plain.update(words("ask not what"), timed=False, heard_until=1.5)
    assert [w.text for w in plain.update(words("ask not what you"), timed=False)] == [
        "ask", "not", "what",
    ]  # fmt: skip


def test_a_segment_without_word_times_is_spread_over_its_speech_only() -> None:
    from woasr_cli.live.words import hypothesis_words
    from woasr_cli.transcript import Segment

    # whisperX's segment spans the buffer, 2 s of silence after the speech too: spread to its
    # end, the last word would lie in the silence, where words are taken for inventions.
    spread = hypothesis_words([Segment(0.0, 4.0, "ab abcd")], offset=10.0, speech_end=11.5)
    assert [(w.text, round(w.start, 3), round(w.end, 3)) for w in spread] == [
        ("ab", 10.0, 10.5),
        ("abcd", 10.5, 11.5),
    ]


def spread(text: str, start: float, end: float) -> list[Word]:
    from woasr_cli.live.words import hypothesis_words
    from woasr_cli.transcript import Segment

    return hypothesis_words([Segment(start, end, text)], offset=0.0)


def test_words_without_times_are_matched_to_the_committed_ones_by_text() -> None:
    la = LocalAgreement()
    la.update(spread("And so my fellow Americans", 0.0, 3.0), timed=False)
    la.update(spread("And so my fellow Americans asked", 0.0, 3.9), timed=False)
    assert [w.text for w in la.committed][-1] == "Americans"
    # The next passes read more words into about as much time, so their words are packed
    # closer: "ask" and "not" start before the committed "Americans" ended, and a time rule
    # dropped them for good.
    later = "And so my fellow Americans ask not what your country can do"
    la.update(spread(later, 0.0, 5.5), timed=False)
    committed = la.update(spread(later, 0.0, 5.8), timed=False)
    assert [w.text for w in committed][:3] == ["ask", "not", "what"]


def test_words_without_times_that_reread_a_committed_tail_are_not_said_twice() -> None:
    la = LocalAgreement()
    la.flush(spread("And so am I", 0.0, 0.9), timed=False)
    # The pass hears "my" where "am I" was committed: about as many letters, not new speech.
    committed = la.flush(spread("And so my fellow Americans", 0.0, 3.3), timed=False)
    assert [w.text for w in committed] == ["fellow", "Americans"]


def test_words_without_times_far_past_the_committed_end_are_new_even_if_alike() -> None:
    la = LocalAgreement()
    la.flush(spread("we went in the", 0.0, 1.2), timed=False)
    # "the" misheard for "a" was committed; the later "the", seconds on, is a new word, not
    # the committed one read again (all before it lost).
    committed = la.flush(spread("we went in a big old house at the end", 0.0, 4.0), timed=False)
    assert [w.text for w in committed] == ["a", "big", "old", "house", "at", "the", "end"]


def test_words_without_times_after_a_reread_tail_are_not_lost_to_a_later_common_word() -> None:
    la = LocalAgreement()
    la.flush(spread("give it to the", 0.0, 1.2), timed=False)
    # The pass reads "a" where "the" was committed, and "the" again a second on: matched to
    # that later "the", the committed word took "a man and" with it, and only "dog" was new.
    committed = la.flush(spread("give it to a man and the dog", 0.0, 2.4), timed=False)
    assert [w.text for w in committed] == ["a", "man", "and", "the", "dog"]


def test_words_without_times_reread_slower_than_committed_are_not_new() -> None:
    la = LocalAgreement()
    la.flush(spread("give the rest of the cat and the bird", 0.0, 3.0), timed=False)
    # The same words shared out over more audio (the segment grew): the last ones lie more
    # than a second past the committed end, and are still a reading of it.
    assert la.flush(spread("give the rest of the cat and the bird", 0.0, 5.0), timed=False) == []
    # A pass whose audio starts inside the committed words reads them from there, the first
    # one misheard, and slower.
    la.flush(
        spread("in New Jersey and I'm Sheila and Texas originally from Chicago", 10, 14.8),
        timed=False,
    )
    reread = spread("Shila and Texas originally from Chicago. Oh, I'm", 11.6, 18.0)
    assert [w.text for w in la.flush(reread, timed=False)] == ["Oh,", "I'm"]


def test_words_without_times_after_a_misheard_tail_are_not_lost() -> None:
    la = LocalAgreement()
    said = "The book on the table and the pin in the box and the cup on the shelf the building."
    la.flush(spread(said, 0.9, 6.2), timed=False)
    # The pass's audio starts at "the cup" and reads "by the lamp" (committed as "the
    # building") as "they're going to land": matched to the committed text's "the" and "to"
    # ... a greedy match took "the office" for committed and lost "You need to go to the".
    heard = "In the cup on the shelf, they're going to land. You need to go to the office."
    new = " ".join(w.text for w in la.flush(spread(heard, 0.9, 6.6), timed=False))
    assert new.endswith("You need to go to the office.")


def test_words_without_times_agree_on_a_long_run_past_words_never_committed() -> None:
    la = LocalAgreement()
    la.flush(
        spread("And the more you know, the more you grow. Send it to me", 0.9, 4.6), timed=False
    )
    # The pass reads eight words the committed text lacks, then all of its end again: that
    # run, not the nearer "the more you", is where the reading ends.
    heard = "And more you read the more you know and the more you know the more you grow."
    heard += " Send it to me and to him."
    new = la.flush(spread(heard, 0.9, 6.5), timed=False)
    assert [w.text for w in new] == ["and", "to", "him."]
    # A committed word misheard as two ("manic" for "man a") and one like another ("point"
    # for "coin") are read there: what follows them is new.
    la.flush(spread("and the budget. gave a manic point", 8.4, 10.5), timed=False)
    new = la.flush(spread("He gave a man a coin and a woman", 9.5, 11.5), timed=False)
    assert [w.text for w in new] == ["and", "a", "woman"]
