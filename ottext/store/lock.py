"""The project's run lock: one ``ottext run`` at a time, and a way for exports to see one going on."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from ottext.errors import Errors, StoreError

LOCK_NAME = ".ottext.lock"


def take_lock(directory: Path) -> int:
    """Hold the run lock of ``directory`` (its file descriptor); a second run gets E303 at once."""
    fd = os.open(directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StoreError(Errors.E303, file=directory) from None
    return fd


def release_lock(fd: int) -> None:
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def lock_is_held(directory: Path) -> bool:
    """Whether another process holds the run lock of ``directory`` now (never waits)."""
    try:
        fd = os.open(directory / LOCK_NAME, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
