"""``openai_api``: send audio to any OpenAI-compatible endpoint with the official ``openai`` SDK.

Works with OpenAI, Groq, speaches, LocalAI and another ``woasr serve``. The provider is off until a
base URL and a key are given (``--openai-base-url``/``WOASR_OPENAI_BASE_URL`` and
``--openai-api-key``/``WOASR_OPENAI_API_KEY``; checked before any work by the registry).

Audio goes up as 16-bit WAV, in pieces of at most ``MAX_PIECE_S`` cut in a quiet spot (OpenAI
refuses files over 25 MB). The answer is ``verbose_json``: its segments become woasr segments and
its words (top-level as OpenAI sends them, or inside segments) go to the segment they fall in.
The text is the endpoint's, never made up here. Rate limits (429) and server errors (5xx) are
retried by the SDK with exponential backoff and jitter, honouring ``Retry-After``, at most
``MAX_RETRIES`` times.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import numpy as np

from woasr_cli.errors import InputError, ModelNotFound, UsageError, WoasrError
from woasr_cli.languages import language_code
from woasr_cli.media.audio import SAMPLE_RATE, Audio
from woasr_cli.media.windows import quiet_cut
from woasr_cli.options import WHISPER_TEMPERATURES, TranscribeOptions
from woasr_cli.providers.base import LanguageInfo
from woasr_cli.transcript import Segment, Word

DEFAULT_MODEL = "whisper-1"
MAX_RETRIES = 4  # after the first try: at most 5 requests per piece
TIMEOUT_S = 600.0
MAX_PIECE_S = 600.0  # 10 minutes of 16 kHz 16-bit mono: 19.2 MB, under OpenAI's 25 MB


def wav_bytes(audio: Audio) -> bytes:
    """16 kHz mono float32 -> a 16-bit PCM WAV file in memory."""
    # x 32768, the inverse of the decoder's scaling: 16-bit sources go up bit for bit.
    pcm = np.clip(np.round(audio * 32768.0), -32768, 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


def pieces(audio: Audio, max_s: float = MAX_PIECE_S) -> Iterator[tuple[float, Audio]]:
    """``(offset_seconds, samples)`` pieces of at most ``max_s``, cut in the quietest spot."""
    limit = int(max_s * SAMPLE_RATE)
    offset = 0
    while len(audio) - offset > limit:
        cut = quiet_cut(audio[offset : offset + limit], limit)
        yield offset / SAMPLE_RATE, audio[offset : offset + cut]
        offset += cut
    yield offset / SAMPLE_RATE, audio[offset:]


def _field(item: Any, name: str) -> Any:
    if isinstance(item, Mapping):
        return item.get(name)
    return getattr(item, name, None)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _words(raw: Any) -> list[Word]:
    words = []
    for w in raw or []:
        text = str(_field(w, "word") or _field(w, "text") or "").strip()
        if text and _field(w, "start") is not None and _field(w, "end") is not None:
            words.append(
                Word(
                    float(_field(w, "start")),
                    float(_field(w, "end")),
                    text,
                    _float(_field(w, "probability")),
                )
            )
    return words


def to_segments(response: Any, duration: float) -> list[Segment]:
    """A ``verbose_json`` answer -> woasr segments, times clamped to ``[0, duration]``.

    An answer with text but no segments (an endpoint that ignores ``verbose_json``, or answers
    in plain text) becomes one segment over the whole piece: its text is kept, only its times
    are coarse. Segments are put in time order; one without a time goes after those before it.
    """

    def clamp(t: float) -> float:
        return min(max(t, 0.0), duration)

    if isinstance(response, str):  # a text/plain answer (the SDK hands it over as a str)
        response = {"text": response}
    segments: list[Segment] = []
    for raw in _field(response, "segments") or []:
        text = str(_field(raw, "text") or "").strip()
        if not text:
            continue
        begin, finish = _float(_field(raw, "start")), _float(_field(raw, "end"))
        after = max((seg.end for seg in segments), default=0.0)  # what came before it
        start = clamp(begin if begin is not None else after)
        end = clamp(finish) if finish is not None else start
        segments.append(
            Segment(
                start=start,
                end=max(start, end),
                text=text,
                words=_words(_field(raw, "words")),
                avg_logprob=_float(_field(raw, "avg_logprob")),
                no_speech_prob=_float(_field(raw, "no_speech_prob")),
            )
        )
    segments.sort(key=lambda seg: seg.start)
    if not segments:
        text = str(_field(response, "text") or "").strip()
        if text:
            segments.append(Segment(start=0.0, end=duration, text=text))
    _attach_words(segments, _words(_field(response, "words")))
    for seg in segments:
        for w in seg.words:
            w.start = min(max(clamp(w.start), seg.start), seg.end)
            w.end = min(max(clamp(w.end), w.start), seg.end)
    return segments


def _attach_words(segments: list[Segment], words: list[Word]) -> None:
    """Give each top-level word to the segment its midpoint falls in (else the nearest one)."""
    if not words or not segments or any(seg.words for seg in segments):
        return
    for word in words:
        mid = (word.start + word.end) / 2
        best = min(segments, key=lambda s: max(s.start - mid, mid - s.end, 0.0))
        best.words.append(word)


class OpenAIAPIProvider:
    name = "openai_api"
    concurrent_files = 4  # the work is remote: several files' requests may be in flight at once

    def __init__(self, client: Any, model_name: str, base_url: str) -> None:
        self._client = client
        self.model_name = model_name
        self.base_url = base_url

    def file_session(self) -> AbstractContextManager[None]:
        return nullcontext()  # nothing to batch: each file's requests go up on their own

    def transcribe(
        self, audio: Audio, options: TranscribeOptions
    ) -> tuple[Iterator[Segment], LanguageInfo]:
        chunks = list(pieces(audio))
        response = self._request(chunks[0][1], options)
        named = str(_field(response, "language") or "")  # OpenAI names it: "english"
        language = (language_code(named) or named.lower() or None) if named else options.language

        def segments() -> Iterator[Segment]:
            answer = response
            for index, (offset, samples) in enumerate(chunks):
                if index:
                    answer = self._request(samples, options)
                duration = len(samples) / SAMPLE_RATE
                for seg in to_segments(answer, duration):
                    yield seg.shifted(offset) if offset else seg

        return segments(), LanguageInfo(language)

    def _request(self, samples: Audio, options: TranscribeOptions) -> Any:
        import openai

        kwargs: dict[str, Any] = {
            "file": ("audio.wav", wav_bytes(samples), "audio/wav"),
            "model": self.model_name,
            "response_format": "verbose_json",
        }
        if options.temperature != WHISPER_TEMPERATURES:
            # Whisper's fallback schedule is the endpoints' own default (OpenAI: temperature 0
            # "increases automatically"); anything else goes as its first value.
            kwargs["temperature"] = options.temperature[0]
        if options.initial_prompt:
            kwargs["prompt"] = options.initial_prompt
        try:
            if options.task == "translate":
                return self._client.audio.translations.create(**kwargs)
            if options.language:
                kwargs["language"] = options.language
            grains = ["segment", "word"] if options.word_timestamps else ["segment"]
            return self._client.audio.transcriptions.create(
                timestamp_granularities=grains, **kwargs
            )
        except openai.AuthenticationError as exc:
            raise UsageError(f"{self.base_url} refused the API key: {_detail(exc)}") from None
        except openai.PermissionDeniedError as exc:
            raise UsageError(f"{self.base_url} denied access: {_detail(exc)}") from None
        except openai.NotFoundError as exc:
            raise ModelNotFound(
                f"{self.base_url} has no model '{self.model_name}' "
                f"(or no transcription endpoint): {_detail(exc)}"
            ) from None
        except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
            raise InputError(f"{self.base_url} rejected the audio: {_detail(exc)}") from None
        except openai.APIStatusError as exc:
            retried = exc.status_code == 429 or exc.status_code >= 500
            after = f" after {MAX_RETRIES} retries" if retried else ""
            raise WoasrError(
                f"{self.base_url} answered {exc.status_code}{after}: {_detail(exc)}"
            ) from None
        except openai.APIConnectionError as exc:
            raise WoasrError(f"cannot reach {self.base_url}: {exc}") from None


def _detail(exc: Any) -> str:
    """The server's one-line reason: ``detail``/``error.message`` of its JSON, else the text."""
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, Mapping) else None
        message = message or body.get("detail") or inner
        return " ".join(str(message).split())[:300]
    return " ".join(str(getattr(exc, "message", exc)).split())[:300]


def load(options: TranscribeOptions) -> OpenAIAPIProvider:
    import openai

    if not options.openai_base_url or not options.openai_api_key:
        raise UsageError(
            "provider 'openai_api' is not configured: set --openai-base-url and --openai-api-key"
        )
    client = openai.OpenAI(
        base_url=options.openai_base_url,
        api_key=options.openai_api_key,
        max_retries=MAX_RETRIES,
        timeout=TIMEOUT_S,
    )
    return OpenAIAPIProvider(client, options.model or DEFAULT_MODEL, options.openai_base_url)
