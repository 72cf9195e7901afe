"""Provider specs: capability checks made before any model loads, and option defaults."""

from __future__ import annotations

import pytest

from woasr_cli.cli.exit_codes import exit_code_for
from woasr_cli.errors import CapabilityError, UsageError
from woasr_cli.options import TranscribeOptions
from woasr_cli.providers.registry import check_capabilities, default_word_timestamps, get_spec


def test_diarization_turns_word_timestamps_on_where_the_provider_has_them() -> None:
    assert default_word_timestamps("faster_whisper", diarize=True, align=False)
    assert default_word_timestamps("origin_whisper", diarize=True, align=False)
    # whisperX gives word times only through alignment.
    assert not default_word_timestamps("whisperx", diarize=True, align=False)
    # --align makes its own word times; without diarization nothing changes.
    assert not default_word_timestamps("faster_whisper", diarize=True, align=True)
    assert not default_word_timestamps("faster_whisper", diarize=False, align=False)
    # An unknown provider is reported by get_spec, not here.
    assert not default_word_timestamps("nope", diarize=True, align=False)
    with pytest.raises(UsageError, match="unknown provider 'nope'"):
        get_spec("nope")


def test_word_timestamps_refused_by_a_provider_without_them() -> None:
    options = TranscribeOptions(provider="whisperx", word_timestamps=True)
    with pytest.raises(CapabilityError, match="--align"):
        check_capabilities(get_spec("whisperx"), options)
    check_capabilities(get_spec("faster_whisper"), options.with_changes(provider="faster_whisper"))


@pytest.mark.parametrize("provider", ["hf_auto_asr", "fast_conformer"])
def test_sampling_refused_by_an_engine_that_never_samples(provider: str) -> None:
    # --temperature 0.4 was taken and ignored (the brief: honour a flag or refuse it).
    spec = get_spec(provider)
    with pytest.raises(CapabilityError, match=r"does not sample \(--temperature above 0\)"):
        check_capabilities(spec, TranscribeOptions(provider=provider, temperature=0.4))
    # 0 is what it does; the default schedule is left to the engine.
    check_capabilities(spec, TranscribeOptions(provider=provider, temperature=0.0))
    check_capabilities(spec, TranscribeOptions(provider=provider))
    check_capabilities(get_spec("origin_whisper"), TranscribeOptions(temperature=0.4))


@pytest.mark.parametrize(
    ("provider", "compute_type"),
    [("origin_whisper", "int8"), ("origin_whisper", "bfloat16"), ("hf_auto_asr", "int8_float16"),
     ("fast_conformer", "float16"), ("openai_api", "float32")],
)  # fmt: skip
def test_a_compute_type_a_torch_engine_cannot_run_is_refused(
    provider: str, compute_type: str
) -> None:
    # It was taken and ignored: --compute-type int8 with origin_whisper ran float32, silently.
    endpoint = {"openai_base_url": "http://127.0.0.1:9", "openai_api_key": "k"}
    options = TranscribeOptions(provider=provider, compute_type=compute_type, **endpoint)
    with pytest.raises(CapabilityError, match=f"cannot run --compute-type {compute_type} ") as err:
        check_capabilities(get_spec(provider), options)
    assert "\n" not in str(err.value)
    if compute_type.startswith("int"):
        assert "faster_whisper" in str(err.value)  # where it is honoured


@pytest.mark.parametrize(
    ("provider", "compute_type"),
    [("faster_whisper", "int8_float16"), ("whisperx", "int8"), ("origin_whisper", "float32"),
     ("hf_auto_asr", "bfloat16"), ("fast_conformer", "float32"), ("fast_conformer", "default")],
)  # fmt: skip
def test_a_compute_type_the_engine_runs_is_accepted(provider: str, compute_type: str) -> None:
    options = TranscribeOptions(provider=provider, compute_type=compute_type)
    check_capabilities(get_spec(provider), options)


@pytest.mark.parametrize(
    ("provider", "compute_type"), [("faster_whisper", "float64"), ("whisperx", "int4")]
)
def test_a_compute_type_ctranslate2_does_not_have_is_refused_before_loading(
    provider: str, compute_type: str
) -> None:
    # It failed once the model loaded, as "cannot load model 'tiny.en' from ...: Invalid
    # compute type: float64" (a missing model to the exit code), not a usage error.
    options = TranscribeOptions(provider=provider, compute_type=compute_type)
    with pytest.raises(CapabilityError, match=f"has no --compute-type {compute_type} ") as err:
        check_capabilities(get_spec(provider), options)
    assert "int8_float16" in str(err.value) and "\n" not in str(err.value)  # what it does run
    assert exit_code_for(err.value) == 2


def test_a_language_is_refused_by_an_engine_that_cannot_be_told_one() -> None:
    # NeMo's models transcribe the language they were trained on; --language ko was written
    # into the transcript as its language all the same.
    options = TranscribeOptions(provider="fast_conformer", language="ko")
    with pytest.raises(CapabilityError, match=r"cannot be told a language \(--language ko\)"):
        check_capabilities(get_spec("fast_conformer"), options)
    check_capabilities(get_spec("fast_conformer"), options.with_changes(language=None))
