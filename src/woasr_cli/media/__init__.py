"""Find inputs and decode any container to 16 kHz mono float32."""

from woasr_cli.media.audio import SAMPLE_RATE, Audio
from woasr_cli.media.decode import MediaInfo, decode_audio, iter_audio, probe
from woasr_cli.media.discover import MEDIA_EXTENSIONS, discover_inputs
from woasr_cli.media.windows import iter_windows

__all__ = [
    "MEDIA_EXTENSIONS",
    "SAMPLE_RATE",
    "Audio",
    "MediaInfo",
    "decode_audio",
    "discover_inputs",
    "iter_audio",
    "iter_windows",
    "probe",
]
