"""Writing files safely: to a temporary file renamed into place, so a crash leaves no half file."""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "w", **kwargs) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success it replaces ``path`` atomically.
    Refuses (``E310``) a ``path`` that exists and is not a regular file: a symlink, a device, a FIFO."""
    path = Path(path)
    check_output_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; an export gets the usual permissions
    try:
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def check_output_path(path: Path) -> None:
    """An output may be a new path or a regular file, never a link, device, FIFO, socket or folder
    (replacing ``/dev/full`` or a link's target is not what anyone asked for)."""
    from ottext.errors import Errors, OttextError

    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OttextError(Errors.E305, file=path, detail=exc.strerror or str(exc)) from None
    if stat.S_ISREG(mode):
        return
    kinds = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a device"),
             (stat.S_ISBLK, "a device"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"))
    raise OttextError(Errors.E310, file=path, detail=next((k for test, k in kinds if test(mode)), "not a file"))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# characters XML 1.0 cannot hold (C0 controls but tab and line breaks, U+FFFE, U+FFFF, lone surrogates)
XML_ILLEGAL_RE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str) -> str:
    """``value`` without the characters an XML file (xlsx, docx, qdpx) cannot hold."""
    return XML_ILLEGAL_RE.sub("", value)


_INERT = re.compile(r"-(\d+(\.\d*)?|\.\d+)?")  # a lone "-" or a negative number: never a formula


def safe_cell(value: object) -> object:
    """A spreadsheet cell that cannot run as a formula (text starting with = + - @, tab or CR gets
    a quote, except a lone "-" or a negative number like "-3") and that XML can hold (U+FFFE,
    U+FFFF and control characters are dropped)."""
    if isinstance(value, str):
        if XML_ILLEGAL_RE.search(value):  # rare: most cells are left as they are, unscanned twice
            value = xml_text(value)
        if value.startswith(FORMULA_START) and not _INERT.fullmatch(value):
            return "'" + value
    return value
