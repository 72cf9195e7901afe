"""The streaming processor: audio in, partial and final text out.

Audio is gated by Silero VAD: outside speech only a short pre-roll is kept, so silence costs one
VAD frame per 32 ms and never reaches the model. During an utterance the buffer is re-transcribed
whenever ``min_chunk`` seconds of new audio have arrived (or, if more, ``pace`` times what a pass
during speech has been taking: passes then use at most 1/pace of real time; the longer 30 s pass
at a pause, with no other pass beside it, does not space out the next ones), and
LocalAgreement-2 commits what
two passes agree on (in a buffer with under ``agree_buffer`` seconds of speech, only words with
``agree_after`` seconds of speech heard after them), and a word with ``settle_after`` seconds of
speech after it without waiting for agreement; the rest is the partial. A decoding loop is cut to
one copy. When the speaker pauses (``min_silence``) the utterance
is transcribed once more and what agrees is committed, but the audio stays: speech that resumes
within ``hold`` seconds is heard with it as context (a 1 s pause inside a sentence otherwise makes
Whisper guess its first half from a short buffer). A pause of ``hold`` commits the rest and the
buffer starts afresh; the end of the stream re-transcribes whatever is left and commits all of
it. A long buffer is trimmed at the end of a committed sentence (or, past ``max_buffer``, of any
committed word). Passes get no prompt unless ``prompt_chars`` asks for the committed text before
the buffer.
Passes during speech encode the buffer plus ``encoder_pad`` seconds instead of Whisper's 30 s
(about half the cost of a pass); the pass at a pause, the last one and one that loops see 30 s.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from woasr_cli.live.agreement import LocalAgreement
from woasr_cli.live.events import StreamEvent
from woasr_cli.live.language import StreamLanguage
from woasr_cli.live.vad import FRAME, StreamingVad
from woasr_cli.live.words import cut_guessed_tail, hypothesis_words
from woasr_cli.media.audio import Audio
from woasr_cli.options import TranscribeOptions
from woasr_cli.providers import get_spec
from woasr_cli.punctuation import ends_sentence
from woasr_cli.spacing import join
from woasr_cli.transcript import Word
from woasr_cli.word_loops import cut_loop

if TYPE_CHECKING:
    from woasr_cli.transcriber import Transcriber
    from woasr_cli.transcript import Transcript

from woasr_cli.media.audio import SAMPLE_RATE

_TOKENS_PER_SECOND = 10  # a pass decodes at most this many tokens per second of buffer
_MAX_TOKENS = 300  # and at most this many (with the prompt, under Whisper's 448)
_SILENCE_SLACK = 0.3  # seconds a word may start after the last speech frame (word times drift)
_TAIL_START, _TAIL_END = 0.35, 0.35  # a word starting this late and ending this far past it


@dataclass(frozen=True)
class StreamConfig:
    min_chunk: float = 0.5  # seconds of new audio between passes, at least
    pace: float = 1.0  # and at least this many times the recent pass time during speech
    first_chunk: float = 0.5  # seconds of speech before an utterance's first pass
    catch_up: float = 8.0  # a backlog longer than this is transcribed in steps, not at once
    trim_after: float = 10.0  # trim at a committed sentence end once the buffer is this long
    max_buffer: float = 20.0  # trim at any committed word past this
    vad: bool = True
    vad_threshold: float = 0.4  # a frame this likely to be speech starts an utterance
    vad_release: float = 0.35  # and frames at least this likely keep it going
    min_silence: float = 0.5  # a pause this long ends an utterance (one pass, agreed words)
    hold: float = 1.5  # a pause this long commits the rest and empties the buffer
    hold_within: float = 6.0  # a pause after a longer buffer commits it at once
    pre_roll: float = 0.4  # audio kept before the detected start of speech
    # Characters of committed text before the buffer given as the prompt (0: none). Off by
    # default: with tiny.en the prompt never helped and sometimes cost words at a buffer's
    # start ("you know" on pyannote_sample; docs/performance.md, "a15", "session 18").
    prompt_chars: int = 0
    agree_after: float = 1.2  # seconds of speech after a word before agreement commits it,
    agree_buffer: float = 2.5  # unless the buffer holds this much speech (a short one misleads)
    settle_after: float = 2.5  # seconds of speech after a word that commit it from one pass
    # Mid-utterance passes encode the buffer plus this many seconds, not Whisper's 30 s
    # (faster-whisper; None: always 30 s). Passes at a pause or the end, and a pass that
    # loops, see 30 s.
    encoder_pad: float | None = 8.0
    # Beam of mid-utterance passes (None: the stream's own); passes at a pause or the end use
    # the stream's beam.
    mid_beam: int | None = 1


# A provider's language detection on a pass's own encoder output (faster-whisper's).
PassLanguages = Callable[[Audio, TranscribeOptions], "list[tuple[str, float]] | None"]


class LiveProcessor(Protocol):
    """What drives a live stream: :class:`StreamProcessor`, or a native stream's
    (:class:`woasr_cli.live.native.NativeStreamProcessor`)."""

    options: TranscribeOptions
    language: str | None
    received: int  # samples taken so far

    def feed(self, audio: Audio) -> list[StreamEvent]: ...

    def finish(self) -> list[StreamEvent]: ...


class StreamProcessor:
    """Feed 16 kHz mono float32 blocks of any size; get :class:`StreamEvent` lists back.

    Each pass goes through ``transcriber`` (any provider; several processors may share one).
    A processor is one stream with one caller at a time. ``finish()`` flushes the tail."""

    def __init__(
        self,
        transcriber: Transcriber,
        config: StreamConfig | None = None,
        *,
        options: TranscribeOptions | None = None,
    ) -> None:
        self.transcriber = transcriber
        self.options = options or transcriber.options  # per pass: language, beam, ...
        self.config = config or StreamConfig()
        capabilities = get_spec(self.options.provider).capabilities
        self._prompt = capabilities.initial_prompt
        # quick passes at a narrower beam, where there is a beam (NeMo, remote APIs: none)
        self._mid_beam = self.config.mid_beam if capabilities.beam_size else None
        # A multilingual model told no language detects it on the encoder's window: a full
        # one, unless the pass detects it on its own encoder output (language.py)
        multilingual = getattr(transcriber.provider, "multilingual", True)
        self._languages: PassLanguages | None = getattr(
            transcriber.provider, "pass_languages", None
        )
        detects = self._languages is not None
        self._short_window_ok = bool(self.options.language) or not multilingual or detects
        self._heard = StreamLanguage() if multilingual and detects else None
        self._vad = StreamingVad() if self.config.vad else None
        self.agreement = LocalAgreement()
        self.language: str | None = self.options.language
        self.passes = 0  # model calls so far
        self.clock: Callable[[], float] = time.perf_counter  # times the passes
        self.pass_time = 0.0  # seconds a pass during speech takes, a running average
        self._paced = 0  # passes during speech so far
        self.received = 0  # samples taken into frames
        self._incoming = np.zeros(0, dtype=np.float32)  # less than a frame, waiting
        self._frames: list[Audio] = []  # the buffer, from sample _start
        self._voiced: list[bool] = []  # whether each of those frames is speech
        self._start = 0
        self._done_until = 0  # stream sample the last pass reached
        self._in_speech = self._vad is None
        self._held = False  # paused, the buffer kept as context for speech that resumes
        self._speech = 0  # speech frames in the buffer
        self._silent = 0  # samples of silence since the last speech frame
        self._partial = ""
        self._short_pending = False  # the pending words came from a short-window pass

    def feed(self, audio: Audio) -> list[StreamEvent]:
        """Take new audio; return what it commits and the new partial, if either changed."""
        data = np.concatenate([self._incoming, np.asarray(audio, dtype=np.float32).reshape(-1)])
        whole = len(data) // FRAME * FRAME
        self._incoming = data[whole:]
        frames = data[:whole].reshape(-1, FRAME)
        probs = self._vad(frames) if self._vad is not None else np.ones(len(frames), np.float32)
        events: list[StreamEvent] = []
        for frame, prob in zip(frames, probs, strict=True):
            events += self._on_frame(frame, float(prob))
        if self._in_speech and self._unprocessed() >= self._next_pass():
            events += self._pass()
        return events

    def finish(self) -> list[StreamEvent]:
        """End of stream: transcribe what is left and commit all of it."""
        if self._in_speech and len(self._incoming):
            self._frames.append(self._incoming)
            self._voiced.append(True)
            self.received += len(self._incoming)
        self._incoming = np.zeros(0, dtype=np.float32)
        if self._in_speech and not self._blip():
            events = self._pass(final=True)  # the whole buffer once more, all of it committed
        elif self._held or self.agreement.pending:
            events = self._release()  # only silence since the last pass
        else:
            events = []
        self._reset()
        return events

    def _on_frame(self, frame: Audio, prob: float) -> list[StreamEvent]:
        cfg = self.config
        self._frames.append(frame)
        self._voiced.append(prob >= cfg.vad_release)
        self.received += len(frame)
        if not self._in_speech:
            if prob >= cfg.vad_threshold:
                self._in_speech, self._silent = True, 0
                self._speech += 1
            elif self._held:
                self._silent += len(frame)
                if self._silent >= self._samples(cfg.hold):
                    return self._release()
            else:
                self._drop_before(self.received - self._samples(cfg.pre_roll))
            return []
        if prob >= cfg.vad_release:
            self._speech += 1
            self._silent = 0
        else:
            self._silent += len(frame)
        if self._vad is not None and self._silent >= self._samples(cfg.min_silence):
            return self._pause()
        if self._unprocessed() >= self._samples(cfg.catch_up):
            return self._pass()
        return []

    def _blip(self) -> bool:
        """Speech shorter than a syllable with nothing pending is noise: Whisper would only
        invent words for it."""
        return self._speech * FRAME < self._samples(0.25) and not self.agreement.pending

    def _pause(self) -> list[StreamEvent]:
        """The speaker paused. After a short buffer one pass commits what it agrees on and the
        audio is kept; after a long one (context enough) the buffer is committed whole."""
        self._in_speech = False
        if self._blip():
            self._reset()
            return []
        if self.received - self._start > self._samples(self.config.hold_within):
            events = self._pass(final=True)
            self._reset()
            return events
        # the pending words are committed at the hold unconfirmed: from a 30 s pass, not a short
        # one ("now. Okay. Thank you." from a short pass 0.3 s into pyannote_sample's last pause)
        fresh = self.received - self._done_until >= self._samples(0.3)
        events = self._pass() if fresh or self._short_pending else []
        self._held = True
        return events

    def _release(self) -> list[StreamEvent]:
        """A long pause (or the end) after a pass: its pending words are final; start afresh."""
        committed = self.agreement.flush()
        events = [StreamEvent.of("final", committed)] if committed else []
        if self._partial:
            events.append(StreamEvent.of("partial", [], self.received / SAMPLE_RATE))
            self._partial = ""
        self._reset()
        return events

    def _reset(self) -> None:
        self._drop_before(self.received)
        self._in_speech = self._vad is None
        self._held = False
        self._speech = self._silent = 0

    def _pass(self, final: bool = False) -> list[StreamEvent]:
        audio = np.concatenate(self._frames) if self._frames else np.zeros(0, np.float32)
        self._done_until = self.received
        words, short, timed = [], False, True
        if len(audio) >= self._samples(0.1):
            # Speech is ~5 tokens a second: a pass that decodes far more is a repetition loop,
            # stopped here before it costs ten passes (Whisper's own limit is 448 tokens).
            tokens = min(_MAX_TOKENS, int(_TOKENS_PER_SECOND * len(audio) / SAMPLE_RATE) + 10)
            options = self.options.with_changes(max_new_tokens=tokens)
            if self._prompt and self.config.prompt_chars > 0:  # else the caller's own, if any
                options = options.with_changes(initial_prompt=self._prompt_text() or None)
            began = self.clock()
            # Mid-utterance the encoder sees the buffer plus ``encoder_pad`` seconds (a third
            # of the cost of 30 s); at a pause and at the end, where all is committed, 30 s.
            paced = self._in_speech and not final
            short = paced and self.config.encoder_pad is not None
            quick = (
                options.with_changes(beam_size=self._mid_beam)
                if paced and self._mid_beam
                else options
            )
            heard = self._transcribe(audio, quick, self.config.encoder_pad if short else None)
            offset = self._start / SAMPLE_RATE
            # Words that start in the silence after the last speech frame are Whisper's
            # inventions ("That's it." after the last sentence), not speech.
            # So are words that begin at the last speech frame and end well past it ("Thank"
            # 30.98-31.38 s after "now." when pyannote_sample's speech ends at 31.01 s).
            last = (self.received - self._silent) / SAMPLE_RATE
            words = hypothesis_words(heard.segments, offset, last)
            if short and cut_loop(words) != words:
                # a short window loops on overlapping talk where 30 s does not: hear it again
                heard = self._transcribe(audio, options, None)
                words = hypothesis_words(heard.segments, offset, last)
                short = False
            took = self.clock() - began
            if paced:  # what passes during speech cost spaces them; a 30 s pause pass does not
                self.pass_time = took if not self._paced else (self.pass_time + took) / 2
                self._paced += 1
            words = cut_loop(words)
            if final or not self._in_speech:  # committed without a second pass to disagree
                words = cut_guessed_tail(words, last)
            words = [
                w
                for w in words
                if w.start <= last + _SILENCE_SLACK
                and not (w.start > last - _TAIL_START and w.end > last + _TAIL_END)
            ]
            timed = all(s.words for s in heard.segments if s.text.strip())
            self.language = heard.language or self.language
            self.passes += 1
        self._short_pending = short
        if final:
            committed = self.agreement.flush(words, guard=self._overlaps_committed(), timed=timed)
        else:
            after = self._speech_after()
            long = after(self._start / SAMPLE_RATE) >= self.config.agree_buffer
            committed = self.agreement.update(
                words,
                guard=self._overlaps_committed(),
                ready=lambda w: long or after(w.end) >= self.config.agree_after,
                settled=lambda w: after(w.end) >= self.config.settle_after,
                timed=timed,
                heard_until=self.received / SAMPLE_RATE,
            )
            committed += self._trim()
        events = [StreamEvent.of("final", committed)] if committed else []
        partial = join(self.agreement.pending)
        if partial != self._partial:
            at = self.received / SAMPLE_RATE
            events.append(StreamEvent.of("partial", self.agreement.pending, at))
            self._partial = partial
        return events

    def _transcribe(
        self, audio: Audio, options: TranscribeOptions, pad: float | None
    ) -> Transcript:
        """One model call; ``pad``: the encoder sees the buffer plus this many seconds (where
        the provider can do that), not 30 s."""
        window = getattr(self.transcriber.provider, "encoder_window", None)
        if pad is None or window is None or not self._short_window_ok:
            return self._transcribe_in(audio, options)
        with window(pad):
            return self._transcribe_in(audio, options)

    def _transcribe_in(self, audio: Audio, options: TranscribeOptions) -> Transcript:
        """One model call, in the language the stream's passes have heard where none was
        given and the provider detects it per pass (language.py)."""
        if self._heard is not None and self._languages is not None and not options.language:
            detected = self._languages(audio, options)
            if detected:
                speech = self._speech * FRAME / SAMPLE_RATE
                options = options.with_changes(language=self._heard.choose(detected, speech))
        return self.transcriber.transcribe(audio, options=options)

    def _trim(self) -> list[Word]:
        """Cut the buffer at a committed sentence end once it is long; past ``max_buffer`` at
        the last committed word; far past it with nothing agreed, commit the hypothesis."""
        length = (self.received - self._start) / SAMPLE_RATE
        if length < self.config.trim_after:
            return []
        start = self._start / SAMPLE_RATE
        inside = [w for w in self.agreement.committed if w.end > start + 0.5]
        cut = next((w.end for w in reversed(inside) if ends_sentence(w.text)), None)
        forced: list[Word] = []
        if cut is None and length >= self.config.max_buffer:
            if inside:
                cut = inside[-1].end
            elif length >= 1.5 * self.config.max_buffer:
                forced = self.agreement.flush()
                cut = self.received / SAMPLE_RATE
        if cut is not None:
            self._drop_before(round(cut * SAMPLE_RATE))
        return forced

    def _speech_after(self) -> Callable[[float], float]:
        """Seconds of speech (VAD frames) in the buffer after a stream time."""
        lengths = np.array([len(f) for f in self._frames], dtype=np.int64)
        ends = self._start + np.cumsum(lengths)
        voiced = lengths * np.array(self._voiced, dtype=bool)
        from_here = np.concatenate([np.cumsum(voiced[::-1])[::-1], [0]])

        def after(at: float) -> float:
            frame = np.searchsorted(ends, at * SAMPLE_RATE, side="right")
            return float(from_here[frame]) / SAMPLE_RATE

        return after

    def _overlaps_committed(self) -> bool:
        """Whether the buffer holds audio of committed words (after a trim, not after a pause:
        there a word that repeats the last committed one is said again)."""
        return self._start / SAMPLE_RATE < self.agreement.last_end - 0.05

    def _drop_before(self, sample: int) -> None:
        while self._frames and self._start + len(self._frames[0]) <= sample:
            self._start += len(self._frames.pop(0))
            self._voiced.pop(0)
        if not self._frames:
            self._start = self.received

    def _prompt_text(self) -> str:
        start = self._start / SAMPLE_RATE
        before = [w for w in self.agreement.committed if w.end <= start + 0.05]
        return join(before[-60:])[-self.config.prompt_chars :].lstrip()

    def _next_pass(self) -> int:
        """New samples that call for a pass: few for an utterance's first partial, then
        ``min_chunk``, or ``pace`` times the recent time of a pass during speech where passes
        are slower (spaced so, they stay within 1/pace of real time, and a live source's audio
        that arrives meanwhile waits in one block)."""
        if self._done_until <= self._start and self._vad is not None:
            return self._samples(self.config.pre_roll + self.config.first_chunk)
        return self._samples(max(self.config.min_chunk, self.config.pace * self.pass_time))

    def _unprocessed(self) -> int:
        return self.received - max(self._done_until, self._start)

    @staticmethod
    def _samples(seconds: float) -> int:
        return int(seconds * SAMPLE_RATE)
