"""One file through decode -> ASR -> (align) -> (diarize) -> Transcript.

The pipeline is engine-neutral and knows nothing of files on disk beyond its input (a media
file, or samples in memory): writing outputs is :mod:`woasr_cli.outputs`, loading engines once
is :mod:`woasr_cli.transcriber`'s, bookkeeping is the job runner's. It works window by window
so memory stays flat, reports each finished window's segments to a :class:`Checkpointer` (the
manifest), and can resume from a checkpoint.

Resuming gives what an uninterrupted run gives: segments are checkpointed a whole window at a
time, and a resumed run cuts the file into the same windows as a run from the start (the cuts
depend on everything before them, so they are found again from the start, which only decodes
audio) and skips the windows already done. Decoding after the resume point therefore sees the
very same samples, and windows share no decoder state (no prompt carries over between
windows; the language is the one the first run settled), so its segments are the same. A resume
point inside a window (progress reported past the last whole window) restarts that window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field, replace
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from woasr_cli.errors import Interrupted
from woasr_cli.lookahead import give_back, transcribed_windows
from woasr_cli.media import SAMPLE_RATE, iter_windows, probe
from woasr_cli.media.audio import Audio
from woasr_cli.media.cutoff import cut_off_warning
from woasr_cli.media.read_ahead import read_ahead
from woasr_cli.media.windows import DEFAULT_WINDOW_S, iter_array_windows
from woasr_cli.options import TranscribeOptions
from woasr_cli.providers.base import (
    Provider,
    window_depth,
    window_seconds,
    windows_read_ahead,
    word_lag,
)
from woasr_cli.providers.pauses import split_at_pauses
from woasr_cli.providers.registry import get_spec
from woasr_cli.providers.speech_presence import speech_spans
from woasr_cli.runtime import few_torch_threads
from woasr_cli.stopping import stop_when
from woasr_cli.transcript import Segment, Transcript

if TYPE_CHECKING:
    from woasr_cli.processing.alignment import Aligner
    from woasr_cli.processing.diarization import Diarizer


class Checkpointer(Protocol):
    def __call__(self, segments: list[Segment], done_seconds: float, /) -> None:
        """Persist finished segments (absolute times) and progress, atomically.

        Segments come a whole window at a time, with ``done_seconds`` the window's end; calls
        with no segments report progress inside a window (a resume from there restarts the
        window)."""


# Window ends computed twice the same way agree exactly; this only absorbs a round trip.
_SAME_TIME_S = 1e-6


@dataclass
class Resume:
    """Where an earlier, interrupted run of the same job stopped: its segments, the audio time
    reached and the language it detected, with the detection's probability (what an
    uninterrupted run's transcript says; None where it is not known)."""

    segments: list[Segment] = field(default_factory=list)
    offset: float = 0.0
    language: str | None = None
    language_probability: float | None = None


@dataclass
class FileHooks:
    checkpoint: Checkpointer | None = None
    on_language: Callable[[str], None] | None = None
    # the detected language with its probability, for a caller that keeps both for a resume
    on_language_detected: Callable[[str, float | None], None] | None = None
    on_progress: Callable[[float, float | None], None] | None = None
    on_window_done: Callable[[], None] | None = None
    on_segment: Callable[[Segment], None] | None = None  # each segment as it is decoded
    should_stop: Callable[[], bool] = lambda: False


def transcribe_file(
    path: Path,
    provider: Provider,
    options: TranscribeOptions,
    *,
    resume: Resume | None = None,
    hooks: FileHooks | None = None,
    window_s: float | None = None,
) -> Transcript:
    """ASR over a media file, decoded window by window (memory stays flat); ``window_s``: the
    window length (default: the provider's, else ``DEFAULT_WINDOW_S``)."""
    resume = resume or Resume()
    window_s = window_s or window_seconds(provider, DEFAULT_WINDOW_S)
    track = options.audio_track
    info = probe(path, track)
    ahead = windows_read_ahead(provider)
    # A stereo track whose only talker is on one side is heard from that side (Silero's say).
    decoded = iter_windows(path, window_s, speech=speech_spans, track=track)
    source = read_ahead(decoded, ahead) if ahead else decoded
    with closing(source):  # a reader thread stops, the media is closed
        windows, resume = _skip_done(source, resume)
        transcript = _transcribe_windows(
            windows, info.duration, provider, options, resume, hooks or FileHooks()
        )
    transcript.source = str(path)
    if info.audio_tracks > 1 or track is not None:  # which of them was transcribed
        transcript.audio_track = {
            "index": info.track,
            "language": info.track_language,
            "of": info.audio_tracks,
            **({} if track is None else {"asked": track}),
        }
    cut_off = cut_off_warning(transcript.duration, info.stated)
    if cut_off is not None:
        transcript.warnings.append(cut_off)
    return transcript


def transcribe_audio(
    samples: Audio,
    provider: Provider,
    options: TranscribeOptions,
    *,
    resume: Resume | None = None,
    hooks: FileHooks | None = None,
    window_s: float | None = None,
) -> Transcript:
    """ASR over 16 kHz mono float32 samples already in memory, in the same windows."""
    resume = resume or Resume()
    window_s = window_s or window_seconds(provider, DEFAULT_WINDOW_S)
    windows, resume = _skip_done(iter_array_windows(samples, window_s), resume)
    return _transcribe_windows(
        windows, len(samples) / SAMPLE_RATE, provider, options, resume, hooks or FileHooks()
    )


def _skip_done(
    windows: Iterable[tuple[float, Audio]], resume: Resume
) -> tuple[Iterator[tuple[float, Audio]], Resume]:
    """The windows a run from the start decodes, less those ``resume`` covers, and the resume
    moved to the start of the first window left (segments from there on are dropped: that
    window is decoded again whole)."""
    found = iter(windows)
    if resume.offset <= 0:
        return found, replace(resume, segments=list(resume.segments), offset=0.0)
    for offset, samples in found:
        if offset + len(samples) / SAMPLE_RATE > resume.offset + _SAME_TIME_S:
            kept = [s for s in resume.segments if s.start < offset]
            return chain([(offset, samples)], found), replace(resume, segments=kept, offset=offset)
    return iter(()), resume  # every window was done


def _transcribe_windows(
    windows: Iterable[tuple[float, Audio]],
    total: float | None,
    provider: Provider,
    options: TranscribeOptions,
    resume: Resume,
    hooks: FileHooks,
) -> Transcript:
    segments = list(resume.segments)
    language = options.language or resume.language
    # an asked language has no probability; a detected one keeps its own across a resume
    language_probability = None if options.language else resume.language_probability
    done = resume.offset
    lag = word_lag(provider)
    # Asked for none (--no-word-timestamps) of an engine that times words by default: it times
    # them anyway (batched faster-whisper cuts its chunks' text at them), so they are cut and
    # shifted here, then dropped. --align times its own words from them. Where an engine's
    # default is none (fast_conformer), False is that default, not an ask: words it gives
    # for free (NeMo's CTC words) are kept, as they always were.
    drop_words = (
        options.word_timestamps is False
        and not options.align
        and get_spec(options.provider).capabilities.word_timestamps_by_default
    )
    in_flight = transcribed_windows(
        windows, provider, options, language, lambda: window_depth(provider)
    )
    # interrupted: windows queued ahead are given back; an engine waiting on batches checks too
    with closing(in_flight), stop_when(hooks.should_stop):
        for window in in_flight:
            if hooks.should_stop():
                raise Interrupted("interrupted")
            lang = window.language
            if language is None and lang.language:
                language, language_probability = lang.language, lang.probability
                if hooks.on_language:
                    hooks.on_language(language)
                if hooks.on_language_detected:
                    hooks.on_language_detected(language, language_probability)
            found: list[Segment] = []
            with _given_back(window.segments):  # stopped midway: its queued chunks too
                for seg in _clip(window.segments, window.offset, window.end, lag):
                    if drop_words and seg.words:
                        seg = replace(seg, words=[])
                    found.append(seg)
                    if hooks.on_segment:
                        hooks.on_segment(seg)
                    done = max(done, seg.end)
                    if hooks.checkpoint:
                        hooks.checkpoint([], done)  # progress only: the window is not done
                    if hooks.on_progress:
                        hooks.on_progress(done, total)
                    if hooks.should_stop():
                        raise Interrupted("interrupted")
            segments += found
            done = window.end
            if hooks.checkpoint:
                hooks.checkpoint(found, done)
            if hooks.on_window_done:
                hooks.on_window_done()
            if hooks.on_progress:
                hooks.on_progress(done, total)
    # The audio as decoded: a container's own figure can be far off (an MP3 of joined parts
    # with no length header, estimated from its first bitrate: 26.9 s for 17 s of sound).
    duration = done
    return Transcript(
        segments=segments,
        language=language,
        language_probability=language_probability,
        duration=duration,
        provider=provider.name,
        model=provider.model_name,
        options=options.public_dict(),
    )


@contextmanager
def _given_back(segments: Iterator[Segment]) -> Iterator[None]:
    """A window's segments, given back (:func:`give_back`) when the block is left early."""
    try:
        yield
    except BaseException:
        give_back(segments)
        raise


def _clip(
    found: Iterable[Segment], offset: float, window_end: float, lag: float = 0.0
) -> Iterable[Segment]:
    """Shift window-relative segments to absolute time, kept inside the window; segments with
    word times (which lag the speech by ``lag`` seconds) come that much earlier."""
    for seg in (part for whole in found for part in split_at_pauses(whole)):
        shifted = seg.shifted(offset - lag if seg.words else offset)
        shifted.start = max(shifted.start, offset)  # not before the window
        shifted.end = max(shifted.end, shifted.start)
        for w in shifted.words:
            w.start, w.end = max(w.start, offset), max(w.end, offset)
        shifted.end = min(shifted.end, window_end)
        shifted.start = min(shifted.start, shifted.end)
        for w in shifted.words:
            w.end = min(w.end, window_end)
            w.start = min(w.start, w.end)
        if shifted.text:
            yield shifted


def postprocess(
    transcript: Transcript,
    audio: Audio,
    options: TranscribeOptions,
    *,
    aligner: Aligner | None = None,
    diarizer: Diarizer | None = None,
) -> Transcript:
    """Forced alignment and speaker diarization, each only when asked for, with the aligner
    and diarizer the caller loaded once (:class:`~woasr_cli.transcriber.Transcriber`).

    Both need the whole file's audio at once (speaker labels must be consistent across the
    file), so the caller decodes it once, after ASR, and only for these opt-in steps.
    """
    with few_torch_threads():  # small models: torch's threads stall each other otherwise
        if options.align and aligner is not None:
            transcript.segments = aligner.align(transcript.segments, audio)
        if options.diarize and diarizer is not None:
            transcript = diarize(transcript, audio, options, diarizer)
    return transcript


def diarize(
    transcript: Transcript, audio: Audio, options: TranscribeOptions, diarizer: Diarizer
) -> Transcript:
    """Speakers on words, segments and turns; then names, from enrollment clips
    (``speakers_dir``) and from ``speaker_names`` in order of first appearance."""
    from woasr_cli.processing.diarization import Diarization, Turn
    from woasr_cli.processing.speakers import assign_speakers, name_speakers

    turns = diarizer.diarize(
        audio,
        num_speakers=options.num_speakers,
        min_speakers=options.min_speakers,
        max_speakers=options.max_speakers,
    )
    confidence = turns.confidence if isinstance(turns, Diarization) else None
    heard = turns.voices if isinstance(turns, Diarization) else None
    transcript = assign_speakers(transcript, turns, confidence, heard)
    if isinstance(turns, Diarization):
        turns.voices = heard = None  # the features (~115 MB an hour) are not needed again
    if options.speakers_dir:
        from woasr_cli.processing.diarize_offline import OfflineDiarizer
        from woasr_cli.processing.enrollment import enrolled_voices, match_names, speaker_voices
        from woasr_cli.processing.speaker_encoders import load_encoder

        encoder = (
            diarizer.encoder if isinstance(diarizer, OfflineDiarizer) else load_encoder("auto")
        )
        enrolled = enrolled_voices(encoder, Path(options.speakers_dir))
        kept = [Turn(t.start, t.end, t.speaker) for t in transcript.speaker_turns]
        voices = speaker_voices(encoder, audio, kept)
        transcript = transcript.renamed(match_names(voices, enrolled, encoder.threshold))
    if options.speaker_names:
        transcript = name_speakers(transcript, options.speaker_names)
    return transcript
