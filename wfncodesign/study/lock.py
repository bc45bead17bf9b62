"""A study folder is owned by one ``study run`` at a time: ``<folder>/study.lock`` names it.

The lock file holds the owner's PID, host, process start time and the time it took the lock, as
JSON; it is created whole (written aside, then hard-linked into place, which fails if a lock is
there), so a reader never sees half a lock.  A lock whose process is gone from this host (no such
PID, or the PID now belongs to a process started later) is stale and is taken over; a lock from
another host cannot be checked and is refused, naming the file to delete.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from wfncodesign.errors import WfnError

LOCK_NAME = "study.lock"


def _process_start(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux /proc), or None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22 counts from the closing parenthesis of the command name, which may hold spaces.
    return int(stat.rsplit(")", 1)[1].split()[19])


@dataclass(frozen=True)
class LockOwner:
    """Who holds a study folder."""

    pid: int
    host: str
    started: int | None  # process start, clock ticks since boot (None off Linux)
    since: str  # when the lock was taken, UTC

    @classmethod
    def me(cls) -> "LockOwner":
        """This process."""
        return cls(os.getpid(), socket.gethostname(), _process_start(os.getpid()),
                   time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))

    def alive(self) -> bool:
        """Whether the owner may still run: on another host always (it cannot be checked)."""
        if self.host != socket.gethostname():
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # another user's process with that PID
            pass
        started = _process_start(self.pid)
        return self.started is None or started is None or started == self.started


def _read_owner(path: Path) -> LockOwner | None:
    """The lock's owner; None when the file is gone or is not a lock this module wrote."""
    try:
        raw = json.loads(path.read_text())
        return LockOwner(int(raw["pid"]), str(raw["host"]), raw.get("started"), str(raw.get("since", "?")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise WfnError(f"{path}: not a study lock ({exc}); if no `study run` uses this folder, delete it") from None


class StudyLock:
    """``with StudyLock(folder):`` owns ``folder`` for the block; WfnError if another run holds it."""

    def __init__(self, folder: str | Path):
        self.path = Path(folder) / LOCK_NAME
        self.owner = LockOwner.me()

    def __enter__(self) -> "StudyLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def acquire(self) -> None:
        """Take the lock, taking over a stale one; raise naming the owner if it is held."""
        tmp = self.path.with_name(f".{LOCK_NAME}.{self.owner.pid}.tmp")
        tmp.write_text(json.dumps(asdict(self.owner)))
        try:
            for _ in range(3):
                try:
                    os.link(tmp, self.path)
                    return
                except FileExistsError:
                    holder = _read_owner(self.path)
                    if holder is not None and holder.alive():
                        raise WfnError(
                            f"{self.path.parent} is in use by another `study run` (pid {holder.pid} on "
                            f"{holder.host}, since {holder.since}); wait for it to finish, or if it is gone, "
                            f"delete {self.path}") from None
                    self.path.unlink(missing_ok=True)  # stale: its run was killed
            raise WfnError(f"{self.path}: could not take the lock; another run keeps taking it")
        finally:
            tmp.unlink(missing_ok=True)

    def release(self) -> None:
        """Drop the lock if this process still holds it."""
        try:
            holder = _read_owner(self.path)
        except WfnError:
            return
        if holder is not None and (holder.pid, holder.host) == (self.owner.pid, self.owner.host):
            self.path.unlink(missing_ok=True)
