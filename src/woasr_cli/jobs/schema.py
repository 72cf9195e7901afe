"""Opening the manifest database: connection settings, schema migrations, readable errors.

The schema version is SQLite's ``PRAGMA user_version``: migration ``i`` takes a database from
version ``i`` to ``i + 1``, in one transaction, so a crash mid-migration leaves the old schema.
``PRAGMA application_id`` marks the file as a woasr manifest, so pointing ``--manifest`` at some
other SQLite database is refused instead of written into.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from pathlib import Path

from woasr_cli.errors import ManifestError
from woasr_cli.jobs.states import JobState

APPLICATION_ID = 0x776F6173  # "woas"

_STATES = ", ".join(f"'{s.value}'" for s in JobState)

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        f"""CREATE TABLE jobs (
            id INTEGER PRIMARY KEY,
            input_path TEXT NOT NULL UNIQUE,
            content_fp TEXT NOT NULL,
            options_fp TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ({_STATES})),
            attempts INTEGER NOT NULL DEFAULT 0,
            duration REAL,
            done_seconds REAL NOT NULL DEFAULT 0,
            resumed_from REAL NOT NULL DEFAULT 0,
            started_at REAL,
            finished_at REAL,
            elapsed REAL,
            realtime_factor REAL,
            outputs TEXT NOT NULL DEFAULT '[]',
            error TEXT,
            owner TEXT,
            lease_until REAL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        )""",
        "CREATE INDEX jobs_state ON jobs (state)",
        """CREATE TABLE checkpoints (
            job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            segment TEXT NOT NULL,
            PRIMARY KEY (job_id, seq)
        ) WITHOUT ROWID""",
        """CREATE TABLE job_meta (
            job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (job_id, key)
        ) WITHOUT ROWID""",
        f"PRAGMA application_id = {APPLICATION_ID}",
    ),
    # Which job lists which output file, kept by triggers from ``jobs.outputs`` (whoever
    # writes it): finding the job that owns a file was a scan of every finished job's outputs
    # before each file of a batch was written, 5 ms a file after 3,000 files.
    (
        """CREATE TABLE job_outputs (
            path TEXT NOT NULL,
            job_id INTEGER NOT NULL,
            PRIMARY KEY (path, job_id)
        ) WITHOUT ROWID""",
        "CREATE INDEX job_outputs_job ON job_outputs (job_id)",
        """CREATE TRIGGER job_outputs_listed AFTER INSERT ON jobs BEGIN
            INSERT OR IGNORE INTO job_outputs (path, job_id)
                SELECT value, NEW.id FROM json_each(NEW.outputs);
        END""",
        """CREATE TRIGGER job_outputs_changed AFTER UPDATE OF outputs ON jobs BEGIN
            DELETE FROM job_outputs WHERE job_id = OLD.id;
            INSERT OR IGNORE INTO job_outputs (path, job_id)
                SELECT value, NEW.id FROM json_each(NEW.outputs);
        END""",
        """CREATE TRIGGER job_outputs_dropped AFTER DELETE ON jobs BEGIN
            DELETE FROM job_outputs WHERE job_id = OLD.id;
        END""",
        """INSERT OR IGNORE INTO job_outputs (path, job_id)
            SELECT each.value, jobs.id FROM jobs, json_each(jobs.outputs) AS each""",
    ),
    # job_meta as a rowid table: its values (a job's options, its kept transcript) are about
    # 1 KB, and a WITHOUT ROWID table stores a row that large on an overflow page of its own,
    # 4 KB each: the manifest of a batch of short files took 8.7 KB a file.
    (
        """CREATE TABLE job_meta_rows (
            job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (job_id, key)
        )""",
        "INSERT INTO job_meta_rows (job_id, key, value) SELECT job_id, key, value FROM job_meta",
        "DROP TABLE job_meta",
        "ALTER TABLE job_meta_rows RENAME TO job_meta",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


def connect(path: Path, timeout: float) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the manifest at ``path``."""
    if path.is_dir():
        raise ManifestError(f"manifest {path} is a directory: give the path of a file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # "File exists" said less than which file is in the way
        folders = (path.parent, *path.parent.parents)
        blocker = next((p for p in folders if p.exists() and not p.is_dir()), None)
        # a link to nowhere does not "exist", but mkdir cannot make a folder in its place
        broken = next((p for p in folders if p.is_symlink() and not p.exists()), None)
        if blocker:
            why = f"{blocker} is a file, not a folder"
        elif broken:
            why = f"{broken} is a symbolic link to {os.readlink(broken)}, which does not exist"
        else:
            why = exc.strerror or str(exc)
        raise ManifestError(f"cannot create the manifest's folder {path.parent}: {why}") from None
    try:
        # Autocommit mode: every transaction is an explicit BEGIN ... COMMIT of ours.
        conn = sqlite3.connect(
            str(path), timeout=timeout, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise describe(exc, path, timeout) from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        _wal(conn, timeout)
        # In WAL mode NORMAL loses no committed transaction when a process dies, only
        # (at worst) the last ones when the whole machine loses power.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        _migrate(conn, path)
    except sqlite3.Error as exc:
        conn.close()
        raise describe(exc, path, timeout) from None
    except ManifestError:
        conn.close()
        raise
    return conn


def _wal(conn: sqlite3.Connection, timeout: float) -> None:
    """Switch to WAL, retrying while another process holds the file.

    The switch needs an exclusive lock, and SQLite answers "database is locked" at once, without
    its busy handler, when another connection is reading or switching: two woasr processes
    started together on a new output folder failed one time in three.
    """
    deadline = time.monotonic() + timeout
    pause = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL").fetchall()
            return
        except sqlite3.OperationalError as exc:
            if not ("locked" in str(exc) or "busy" in str(exc)) or time.monotonic() > deadline:
                raise
        time.sleep(pause * (0.5 + random.random()))
        pause = min(pause * 2, 0.2)


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    if _version(conn, path) == SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = _version(conn, path)  # another process may have migrated meanwhile
        if version == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise ManifestError(f"{path} is an SQLite database but not a woasr manifest")
        for statements in MIGRATIONS[version:]:
            for statement in statements:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _version(conn: sqlite3.Connection, path: Path) -> int:
    # fetchall: a statement left unfinished would keep holding its read lock.
    version = int(conn.execute("PRAGMA user_version").fetchall()[0][0])
    app_id = int(conn.execute("PRAGMA application_id").fetchall()[0][0])
    if app_id not in (0, APPLICATION_ID) or (version and app_id != APPLICATION_ID):
        raise ManifestError(f"{path} is an SQLite database but not a woasr manifest")
    if version > SCHEMA_VERSION:
        raise ManifestError(
            f"manifest {path} has schema {version}, newer than this woasr reads "
            f"({SCHEMA_VERSION}): upgrade woasr"
        )
    return version


def describe(exc: sqlite3.Error, path: Path, timeout: float) -> ManifestError:
    """A one-line, actionable :class:`ManifestError` for an SQLite failure."""
    msg = str(exc)
    if "locked" in msg or "busy" in msg:
        return ManifestError(
            f"manifest {path} is locked by another process (waited {timeout:g}s); try again"
        )
    if "not a database" in msg or "malformed" in msg or "corrupt" in msg:
        return ManifestError(
            f"manifest {path} is corrupt ({msg}): move it aside and rerun to start a fresh one"
        )
    if "unable to open" in msg or "readonly" in msg or "read-only" in msg:
        return ManifestError(f"cannot write the manifest {path} ({msg}): is its folder writable?")
    if "disk" in msg and "full" in msg:
        return ManifestError(f"cannot write the manifest {path}: the disk is full")
    return ManifestError(f"manifest {path}: {msg}")
