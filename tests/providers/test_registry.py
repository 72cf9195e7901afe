"""Provider specs: capability checks made before any model loads, and option defaults."""

from __future__ import annotations

import pytest

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
