"""woasr: offline-first batch transcription of audio and video into subtitles and transcripts."""

from woasr_cli.errors import WoasrError
from woasr_cli.options import TranscribeOptions
from woasr_cli.transcript import Segment, Transcript, Word

__version__ = "0.1.0"

__all__ = ["Segment", "TranscribeOptions", "Transcript", "WoasrError", "Word", "__version__"]
