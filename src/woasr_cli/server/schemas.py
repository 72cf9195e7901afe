"""The original API's request and response bodies, with its field names and bounds.

Mapping to the library (:func:`to_options`): ``model_type`` is the provider, ``model_size`` the
model, ``parameters`` the decoding options woasr has. Where the original's defaults would break a
default install they are only applied when the client sends the field: ``model_size``
(``large-v3``), ``device`` (``cuda``), ``compute_type`` (``float16``) and ``language`` (``ko``;
omitted means detect). Diarization runs when the request says ``diarization.enabled: true``.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, Field, StrictInt, StrictStr

from woasr_cli.options import TranscribeOptions, parse_formats
from woasr_cli.providers.registry import get_spec


class OutputFormat(str, Enum):
    JSON = "json"
    VTT = "vtt"
    SRT = "srt"
    TXT = "txt"
    TSV = "tsv"
    RTTM = "rttm"  # woasr addition: speaker turns, with diarization
    ALL = "all"


class TranscriptionParameters(BaseModel):
    batch_size: int = Field(default=8, ge=1, le=100)
    compute_type: str = "float16"
    beam_size: int = Field(default=5, ge=1, le=100)
    temperature: float = Field(default=0.0, ge=0, le=100)
    patience: float = Field(default=0.0, ge=0, le=100)
    length_penalty: float = Field(default=0.0, ge=0, le=100)
    compression_ratio_threshold: float = Field(default=2.4, ge=0, le=100)
    logprob_threshold: float = Field(default=-1.0, ge=-10, le=10)
    no_speech_threshold: float = Field(default=0.6, ge=0, le=1)
    vad_onset: float = Field(default=0.5, ge=0, le=1)
    vad_offset: float = Field(default=0.363, ge=0, le=1)
    initial_prompt: str | None = None
    condition_on_previous_text: bool = False
    remove_punctuation_from_words: bool = False
    remove_empty_words: bool = False
    # woasr additions
    word_timestamps: bool | None = None
    vad: bool | None = None
    hotwords: str | None = None


class DiarizationConfig(BaseModel):
    enabled: bool = True
    min_speakers: int = Field(default=1, ge=1, le=20)
    max_speakers: int = Field(default=5, ge=1, le=20)


class PostprocessOptions(BaseModel):
    pnc: bool = False
    vad: bool = False


class TranscriptionRequest(BaseModel):
    file_ids: list[str] = Field(default=..., min_length=1)  # at most ServerSettings.max_files
    model_type: str = "faster_whisper"
    model_size: str | None = None
    language: str | None = None
    device: Literal["auto", "cpu", "cuda"] | None = None
    parameters: TranscriptionParameters = Field(
        default_factory=lambda: TranscriptionParameters.model_validate({})
    )
    diarization: DiarizationConfig | None = None
    output_formats: list[OutputFormat] = Field(default_factory=lambda: [OutputFormat.VTT])
    force_alignment: bool = False
    alignment_provider: str | None = "qwen"
    postprocess: PostprocessOptions | None = None
    task: Literal["transcribe", "translate"] = "transcribe"
    # woasr addition: of a file with several audio tracks, the one to transcribe (0-based, or
    # its language tag); by default the one players play. Strict: pydantic made ``true`` track 1
    # and ``1.0`` track 1, where the CLI and the library refuse them
    audio_track: StrictInt | StrictStr | None = None


def requested_formats(request: TranscriptionRequest) -> tuple[str, ...]:
    """The formats asked, ``all`` expanded as ``-f all`` is (rttm too with diarization)."""
    diarize = request.diarization is not None and request.diarization.enabled
    return parse_formats([f.value for f in request.output_formats], diarize=diarize)


_SERVER_MODEL_PROVIDERS = frozenset({"faster_whisper", "whisperx"})  # CTranslate2 models


def server_default_model(provider: str, default_model: str | None) -> str | None:
    """The model a request for ``provider`` that names none gets: the server's --model for a
    CTranslate2 engine, else None (the provider's own default). The server's --model is a
    CTranslate2 Whisper model: not for another engine, which was asked to load "tiny.en" as
    a NeMo or transformers model."""
    return default_model if provider in _SERVER_MODEL_PROVIDERS else None


def to_options(
    request: TranscriptionRequest, default_model: str | None, device: str
) -> TranscribeOptions:
    """The library's options for this request; JSON is always written (it holds the counts)."""
    params = request.parameters
    sent = params.model_fields_set
    caps = get_spec(request.model_type).capabilities
    changes: dict[str, Any] = {
        "provider": request.model_type,
        "model": request.model_size or server_default_model(request.model_type, default_model),
        # The original gave its language to every engine and its compute type (float16 unless
        # sent) to faster_whisper's alone; an engine that takes neither ignored them. Its
        # clients send both whatever the engine (its page: "ko", "float16"), so they are given
        # only to engines that take them, not refused (the CLI refuses them: what it is asked
        # there, it does).
        "language": request.language if caps.language_option else None,  # "auto": detect
        "task": request.task,
        "device": request.device or device,
        "initial_prompt": params.initial_prompt,
        "align": request.force_alignment,
        "audio_track": request.audio_track,
        "formats": tuple(dict.fromkeys((*requested_formats(request), "json"))),
    }
    if "beam_size" in sent or get_spec(request.model_type).capabilities.beam_size:
        changes["beam_size"] = params.beam_size  # the original's default, 5, where it applies
    if "batch_size" in sent:  # chunks decoded at once; 1: sequential, reproducible decoding
        changes["batch_size"] = params.batch_size
    if "temperature" in sent:
        changes["temperature"] = (params.temperature,)
    if "compute_type" in sent and caps.compute_types is None:  # CTranslate2's engines
        changes["compute_type"] = params.compute_type
    for name in ("word_timestamps", "vad", "hotwords"):
        if getattr(params, name) is not None:
            changes[name] = getattr(params, name)
    diarization = request.diarization
    if diarization is not None and diarization.enabled:
        top = diarization.max_speakers
        if "max_speakers" not in diarization.model_fields_set:
            top = max(diarization.min_speakers, top)  # the default 5 under a min of 8 sent alone
        # two bounds sent that contradict each other: refused by the library, as the CLI is
        changes.update(diarize=True, min_speakers=diarization.min_speakers, max_speakers=top)
    return TranscribeOptions(**changes)


class UploadResponse(BaseModel):
    file_ids: list[str]
    uploaded_at: datetime


class TranscriptionResponse(BaseModel):
    job_id: str
    status: str
    message: str
    files_count: int


class JobFileResponse(BaseModel):
    file_id: str
    filename: str
    status: str
    progress: int
    done_seconds: float
    duration: float | None
    error: str | None


class JobResponse(BaseModel):
    job_id: str
    status: str
    progress: int
    current_file: str | None
    total_files: int
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    error: str | None
    done_seconds: float
    total_seconds: float | None
    files: list[JobFileResponse]


class JobListResponse(BaseModel):
    jobs: list[JobResponse]
    total: int


class FileResult(BaseModel):
    file_id: str
    filename: str
    segments_count: int
    speakers_count: int | None
    available_formats: list[str]
    created_at: datetime | None
    downloads: dict[str, str]


class ResultsResponse(BaseModel):
    job_id: str
    status: str
    results_count: int
    results: list[FileResult]
