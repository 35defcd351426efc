"""Exports that grow with the project: when a run has only added documents since the per-passage
files were last written, their new rows are appended instead of every row being written again.

The ledger (a JSON value in the store's meta table) remembers, for the files it covers, the store's
edit count (see ``store.schema``), the newest document then exported, how many of those passages
were coded, each file's header columns and each file's size and modification time. Appending is
safe only if all of these still hold and every new document comes after the old ones in reading
order; anything else (an edit, a human decision, a new metadata column, a file changed by hand,
another codebook or ottext version) means the files are written in full. Either way the files are
the same as a full write of the current store would give.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO

from ottext.store import Store

LEDGER_KEY = "export_ledger"


@dataclass
class Ledger:
    """What the growing files held when they were last written."""

    key: str  # the codebook and settings that shape rows: another key means a full write
    edits: int = 0  # the store's edit count then
    mark: int = 0  # the newest document then (``Store.added_mark``)
    coded: int = 0  # how many passages of those documents had model codings then
    columns: dict[str, list[str]] = field(default_factory=dict)  # per file: its header's metadata columns
    files: dict[str, list[int]] = field(default_factory=dict)  # per file: [size, mtime_ns]
    counts: dict[str, int] = field(default_factory=dict)  # per file that numbers its rows: how many


def _stat(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def appendable(store: Store, paths: dict[str, Path], key: str, name: str = LEDGER_KEY) -> Ledger | None:
    """The ledger (stored under ``name``) if rows can be appended to every file in ``paths``, else
    None (write in full)."""
    raw = store.get_meta(name)
    if not raw:
        return None
    try:
        ledger = Ledger(**json.loads(raw))
    except (TypeError, ValueError):
        return None
    if ledger.key != key or ledger.edits != store.edits() or set(ledger.files) != set(paths):
        return None
    if any(_stat(path) != ledger.files[file] for file, path in paths.items()):
        return None  # a file was changed, removed or half-written since
    last, first = store.order_keys(ledger.mark)
    if first is not None and (None in first or (last is not None and (None in last or first <= last))):
        return None  # a new document would go between old ones
    if store.coded_up_to(ledger.mark) != ledger.coded:
        return None  # older passages were coded since
    return ledger


def record(store: Store, paths: dict[str, Path], key: str, columns: dict[str, list[str]],
           name: str = LEDGER_KEY, counts: dict[str, int] | None = None) -> None:
    """Remember (under ``name``) what the files in ``paths`` now hold."""
    mark = store.added_mark()
    ledger = Ledger(key=key, edits=store.edits(), mark=mark, coded=store.coded_up_to(mark), columns=columns,
                    files={file: _stat(path) for file, path in paths.items()}, counts=counts or {})
    store.set_meta(name, json.dumps(asdict(ledger), sort_keys=True))


def forget(store: Store) -> None:
    """Make the next export write every file in full."""
    store.delete_meta(LEDGER_KEY)


@contextlib.contextmanager
def appending(path: Path, **kwargs) -> Iterator[IO]:
    """Open ``path`` to add to its end; if writing fails the file is cut back to what it was."""
    size = path.stat().st_size
    try:
        with open(path, "a", **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        with open(path, "r+b") as fh:
            fh.truncate(size)
        raise



def opened(path: Path, append: bool, **kwargs):
    """``path`` to write anew (atomically) or, with ``append``, to add to its end."""
    from ottext.export.files import atomic_write

    return appending(path, **kwargs) if append else atomic_write(path, **kwargs)
