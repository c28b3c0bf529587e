"""How writes to one SQLite file are coordinated: one writer at a time, checkpoints off the request path.

**Writer lock.** SQLite lets one transaction write at a time; a second
process that asks (BEGIN IMMEDIATE) gets SQLITE_BUSY and polls, sleeping
1, 2, 5, 10, 15... ms between tries, so with several server processes a
waiting request oversleeps the moment the lock comes free. :class:`WriterLock`
makes the writers queue on an ``flock`` of a file beside the database
instead: the kernel wakes the next one as soon as the lock is released.
SQLite's own locking stays in force underneath (other tools still take
turns correctly); this only replaces polling with waiting.

**Checkpoints.** In WAL mode every commit only appends pages to the ``-wal`` file; a
*checkpoint* copies them back into the database file and fsyncs both. Left to
SQLite, the committing connection runs it (``wal_autocheckpoint``), so every
so many requests one client waits for a large write-back plus two fsyncs: on a
1,000,000-statement database that was a third of the ingest time. Here a
thread with its own connection runs a PASSIVE checkpoint shortly after writes,
which never blocks the writer or readers, and the request path only appends.

The writer keeps a high ``wal_autocheckpoint`` as a backstop (see
:data:`BACKSTOP_PAGES`): when this thread cannot keep up, or is not running,
SQLite checkpoints in the writer as before, so the WAL stays bounded.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading

log = logging.getLogger(__name__)

#: ``wal_autocheckpoint`` of the writer when this thread does the work (pages of 4 KiB: ~200 MB).
BACKSTOP_PAGES = 50_000
#: Seconds the thread lets writes gather before checkpointing them (a hot page is copied once per round).
SETTLE_SECONDS = 0.25


class WriterLock:
    """An exclusive ``flock`` on ``<database>-writelock``, held around each write transaction.

    Threads of one process already take turns on the store's single writer
    connection before they get here; the lock orders processes. The file is
    opened again after a fork (flock belongs to the open file).
    """

    def __init__(self, database: str) -> None:
        """Lock file beside ``database`` (its directory must be writable, as SQLite's WAL needs anyway)."""
        self._path = database + "-writelock"
        self._fd = -1
        self._pid = 0

    def __enter__(self) -> None:
        if self._pid != os.getpid():
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *_exc: object) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Close the lock file (the file itself stays; it holds no data)."""
        if self._pid == os.getpid() and self._fd >= 0:
            os.close(self._fd)
        self._fd, self._pid = -1, 0


class WalCheckpointer:
    """Checkpoints one SQLite database file after writes, off the request path.

    Started lazily by the first :meth:`written` in a process, so a server that
    forks its workers after opening the store (gunicorn ``--preload``) gets
    one thread per worker.
    """

    def __init__(self, path: str, *, busy_ms: int) -> None:
        """Watch the database at ``path``; a checkpoint waits up to ``busy_ms`` for a lock."""
        self._path = path
        self._busy_ms = busy_ms
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def written(self) -> None:
        """Note a committed write transaction (cheap: sets an event)."""
        if self._pid != os.getpid() and not self._stop.is_set():
            self._start()
        self._wake.set()

    def _start(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="lrs-wal-checkpoint", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        connection = sqlite3.connect(self._path, timeout=self._busy_ms / 1000, check_same_thread=False)
        try:
            while not self._stop.is_set():
                self._wake.wait()
                if self._stop.wait(SETTLE_SECONDS):
                    break
                self._wake.clear()
                self.checkpoint(connection)
        finally:
            connection.close()

    @staticmethod
    def checkpoint(connection: sqlite3.Connection) -> None:
        """One PASSIVE checkpoint: copies what no reader still needs, never waits for the writer."""
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as error:  # e.g. the disk is full: the WAL keeps the data, the backstop retries
            log.warning("WAL checkpoint failed: %s", error)

    def close(self) -> None:
        """Stop the thread (the final checkpoint is the caller's, with the store closing)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._pid == os.getpid():
            self._thread.join(timeout=30)
