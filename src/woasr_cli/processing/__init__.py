"""Steps after ASR: forced alignment, speaker diarization and speaker assignment."""
