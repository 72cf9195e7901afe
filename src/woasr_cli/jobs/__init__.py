"""Batch jobs: the SQLite manifest (``manifest``), job states (``states``), input fingerprints
(``fingerprint``), the batch runner (``runner``) and the library's entry points (``batch``).

Nothing is imported here, so commands that only read the manifest start fast."""
