"""One writer per results store: a lock file beside the store, held for the whole run.

``run.zarr`` is guarded by ``run.zarr.lock``, a small JSON file naming its holder (process
id, host, start time). The holder keeps an exclusive OS lock (``flock``) on that file for as
long as it writes; the operating system drops the OS lock when the process ends in any way,
a ``SIGKILL`` included. So:

* a second writer finds the OS lock taken and gets :class:`~pcmphys.results.StoreLockedError`
  naming the holder, before it computes anything;
* a lock file whose OS lock is free was left by a writer that died (a *stale* lock); the next
  writer takes it over, and the caller learns who left it (:attr:`StoreLock.stale`) so that it
  can say so.

The lock file lives beside the store, not inside it, so replacing a store (``overwrite``)
never removes the lock that protects it. Where ``fcntl`` is missing (Windows) the lock file is
created exclusively instead, and a lock of a process that no longer runs on this host counts
as stale.
"""
from __future__ import annotations

import datetime
import json
import os
import pathlib
import socket

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

__all__ = ["StoreLock", "StaleLockWarning", "lock_path", "read_holder", "describe_holder"]

#: attempts to lock a file that its holder is replacing at the same moment
_RETRIES = 20


class StaleLockWarning(UserWarning):
    """A writer took over the lock of one that died without releasing it."""


def lock_path(store):
    """Path of the lock file of ``store`` (``<store>.lock`` beside it)."""
    store = pathlib.Path(store)
    return store.with_name(store.name + ".lock")


def read_holder(path):
    """The holder recorded in the lock file ``path`` (a dict; empty if unreadable)."""
    try:
        text = pathlib.Path(path).read_text(encoding="utf-8")
        holder = json.loads(text) if text.strip() else {}
    except (OSError, ValueError):
        return {}
    return holder if isinstance(holder, dict) else {}


def describe_holder(holder):
    """``pid 123 on host x since 2026-12-02T14:00:00+00:00`` (what is known of it)."""
    if not holder:
        return "an unknown process (the lock file is empty or unreadable)"
    return (f"pid {holder.get('pid', '?')} on host {holder.get('host', '?')} since "
            f"{holder.get('started', '?')}")


def _error(message):
    from pcmphys.results import StoreLockedError

    return StoreLockedError(message)


class StoreLock:
    """Exclusive writer lock of one results store (a context manager).

    Parameters
    ----------
    store : str or os.PathLike
        The store the lock protects (the lock file is ``<store>.lock``).
    purpose : str
        What the holder does ("simulate", "export"); recorded in the lock file.

    Attributes
    ----------
    stale : dict or None
        After :meth:`acquire`: the holder recorded by a writer that died without releasing
        the lock (taken over), else None.

    Notes
    -----
    A holder that found a stale lock and gives up before :meth:`claim` (its checks refused
    the store) writes the dead holder's record back on release, so the next caller still
    learns who left the store behind.
    """

    def __init__(self, store, purpose="write"):
        self.store = pathlib.Path(store)
        self.path = lock_path(self.store)
        self.purpose = purpose
        self.stale = None
        self.claimed = False
        self._fd = None

    def _holder(self):
        return {"pid": os.getpid(), "host": socket.gethostname(), "purpose": self.purpose,
                "started": datetime.datetime.now(datetime.timezone.utc).isoformat(
                    timespec="seconds"), "store": str(self.store)}

    def acquire(self):
        """Take the lock or raise :class:`~pcmphys.results.StoreLockedError` at once."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if fcntl is None:  # pragma: no cover - Windows
            return self._acquire_exclusive()
        for _ in range(_RETRIES):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                holder = read_holder(self.path)
                raise _error(f"results store {str(self.store)!r} is being written by "
                             f"{describe_holder(holder)} (lock file {str(self.path)!r}); "
                             "wait for that run to finish, or stop it first") from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if not same:  # the previous holder removed the file meanwhile: lock the new one
                os.close(fd)
                continue
            previous = os.read(fd, 65536)
            if previous.strip():
                try:
                    self.stale = json.loads(previous)
                except ValueError:
                    self.stale = {}
                if not isinstance(self.stale, dict):
                    self.stale = {}
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            os.write(fd, json.dumps(self._holder()).encode())
            os.fsync(fd)
            self._fd = fd
            return self
        raise _error(f"could not lock {str(self.path)!r}: other processes keep replacing it")

    def _acquire_exclusive(self):  # pragma: no cover - Windows
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                holder = read_holder(self.path)
                if _alive(holder):
                    raise _error(f"results store {str(self.store)!r} is being written by "
                                 f"{describe_holder(holder)} (lock file {str(self.path)!r})") \
                        from None
                self.stale = holder
                os.unlink(self.path)
                continue
            os.write(fd, json.dumps(self._holder()).encode())
            self._fd = fd
            return self
        raise _error(f"could not lock {str(self.path)!r}")

    def claim(self):
        """Mark that the holder now changes the store (the stale record is then obsolete)."""
        self.claimed = True

    def release(self):
        """Remove the lock file and drop the OS lock (idempotent)."""
        if self._fd is None:
            return
        if self.stale is not None and not self.claimed:
            os.lseek(self._fd, 0, os.SEEK_SET)
            os.ftruncate(self._fd, 0)
            os.write(self._fd, json.dumps(self.stale).encode())
        else:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
        os.close(self._fd)
        self._fd = None

    @property
    def held(self):
        return self._fd is not None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


def _alive(holder):  # pragma: no cover - Windows fallback
    if holder.get("host") != socket.gethostname():
        return True  # cannot tell for another host: assume it runs
    try:
        os.kill(int(holder.get("pid", -1)), 0)
    except (OSError, ValueError):
        return False
    return True
