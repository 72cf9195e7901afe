"""The providers woasr knows. Specs only: no engine is imported here."""

from __future__ import annotations

from woasr_cli.options import DECODING_OPTIONS, TranscribeOptions
from woasr_cli.providers.base import Capabilities
from woasr_cli.providers.compute_types import TORCH_FLOATS
from woasr_cli.providers.registry import ProviderSpec, Setting, register
from woasr_cli.runtime import usable_cores

MAX_DEFAULT_WORKERS = 8
# Batched faster-whisper decodes each speech chunk alone at the first temperature (best_of
# samples when it is above 0: batch_sampling), and a chunk whose text loops by the compression
# ratio again alone at the others (whisper_fallback): patience shapes its beam search, the
# no-speech rule (no_speech_threshold and logprob_threshold) drops reads found silent, and chunks
# never see earlier text (as with --no-condition-on-previous-text). The rest needs sequential
# decoding.
_FW_BATCHED = frozenset(
    {
        "best_of",
        "patience",
        "no_speech_threshold",
        "compression_ratio_threshold",
        "logprob_threshold",
        "condition_on_previous_text",
    }
)


def _faster_whisper_workers(options: TranscribeOptions) -> int:
    """Batched faster-whisper (the default) runs one process: its batches run side by side on
    one copy of the model, one CTranslate2 worker per core (faster_whisper_engine.cpu_layout).
    Sequential decoding (``--batch-size 1``) on CPU gets a process per core: CTranslate2 decodes
    one stream far better with one thread per process than with many threads in one process
    (2 cores: 1.9x the files per second, docs/performance.md). A GPU is shared by one process.
    """
    if options.device == "cuda" or options.batch_size != 1:
        return 1
    if options.device == "auto":
        import ctranslate2

        if ctranslate2.get_cuda_device_count() > 0:
            return 1
    return min(usable_cores(), MAX_DEFAULT_WORKERS)


register(
    ProviderSpec(
        name="faster_whisper",
        module="faster_whisper_engine",
        extra="",  # a core dependency of woasr
        requires=("faster_whisper", "ctranslate2"),
        default_model="base",
        capabilities=Capabilities(
            translate=True,
            word_timestamps=True,
            language_detection=True,
            needs_torch=False,
            gpu=True,
            initial_prompt=True,
            hotwords=True,
            batched=True,
            vad="switchable",
            decoding_options=_FW_BATCHED,
            # +6 % CPU, +8 % wall on tiny.en (docs/performance.md, "Word timestamps")
            word_timestamps_by_default=True,
            sequential_options=frozenset(DECODING_OPTIONS) - _FW_BATCHED,
        ),
        summary="Whisper on CTranslate2 (default): fast on CPU, int8, batched, Silero VAD",
        default_workers=_faster_whisper_workers,
    )
)
register(
    ProviderSpec(
        name="origin_whisper",
        module="openai_whisper_engine",
        extra="openai-whisper",
        requires=("whisper", "torch"),
        default_model="base",
        capabilities=Capabilities(
            translate=True,
            word_timestamps=True,
            language_detection=True,
            needs_torch=True,
            gpu=True,
            initial_prompt=True,
            decoding_options=frozenset(DECODING_OPTIONS),
            compute_types=frozenset({"float32", "float16"}),  # float16 on a GPU (its fp16)
        ),
        summary="OpenAI's reference Whisper (PyTorch): model name or .pt checkpoint",
    )
)
register(
    ProviderSpec(
        name="hf_auto_asr",
        module="transformers_engine",
        extra="transformers",
        requires=("transformers", "torch"),
        default_model="openai/whisper-tiny",
        capabilities=Capabilities(
            translate=True,
            word_timestamps=True,
            language_detection=True,
            needs_torch=True,
            gpu=True,
            beam_size=True,
            sampling=False,  # beam search or greedy, never sampled
            compute_types=TORCH_FLOATS,
        ),
        summary="Any transformers ASR model (Whisper-style seq2seq or CTC) by hub id or directory",
    )
)
register(
    ProviderSpec(
        name="fast_conformer",
        module="nemo_engine",
        extra="nemo",
        requires=("nemo", "torch"),
        default_model="nvidia/stt_en_fastconformer_transducer_large",
        capabilities=Capabilities(
            translate=False,
            word_timestamps=True,
            language_detection=False,
            needs_torch=True,
            gpu=True,
            beam_size=False,
            sampling=False,  # greedy decoding
            language_option=False,
            compute_types=frozenset({"float32"}),
        ),
        summary="NVIDIA NeMo ASR models (.nemo file or pretrained name), in-process",
    )
)
register(
    ProviderSpec(
        name="whisperx",
        module="whisperx_asr",
        extra="whisperx",
        requires=("whisperx", "torch"),
        default_model="tiny.en",
        capabilities=Capabilities(
            translate=True,
            word_timestamps=False,
            language_detection=True,
            needs_torch=True,
            gpu=True,
            initial_prompt=True,
            hotwords=True,
            batched=True,
            vad="always",
            # its batched pipeline: beam patience; chunks never see earlier text
            decoding_options=frozenset({"patience", "condition_on_previous_text"}),
        ),
        summary="whisperX batched faster-whisper transcription (local model directory accepted)",
    )
)
register(
    ProviderSpec(
        name="openai_api",
        module="openai_api_engine",
        extra="openai-api",
        requires=("openai",),
        default_model="whisper-1",
        capabilities=Capabilities(
            translate=True,
            word_timestamps=True,
            language_detection=True,
            needs_torch=False,
            gpu=False,
            initial_prompt=True,
            beam_size=False,
            compute_types=frozenset(),  # the endpoint's own
        ),
        summary="Any OpenAI-compatible endpoint (OpenAI, Groq, speaches, LocalAI, woasr serve); "
        "off until its base URL and key are set",
        settings=(
            Setting("openai_base_url", "WOASR_OPENAI_BASE_URL", "--openai-base-url"),
            Setting("openai_api_key", "WOASR_OPENAI_API_KEY", "--openai-api-key"),
        ),
    )
)
