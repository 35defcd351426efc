"""Shared CLI helpers: one-line errors and JSON output."""

from __future__ import annotations

import json
import sys
from typing import NoReturn


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one line to stderr and exit."""
    first = str(message).splitlines()[0] if str(message) else "error"
    print(f"ottext: {first}", file=sys.stderr)
    raise SystemExit(code)


def print_json(data: object) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def require_project(project) -> None:
    """Stop with one line unless ``project`` holds an ottext project database."""
    from ottext.errors import Errors
    from ottext.store import DB_NAME

    if not (project / DB_NAME).is_file():
        fail(Errors.format(Errors.E307, file=project / DB_NAME))


def before_writing(store, out) -> None:
    """Before an export: refuse an ``out`` that is not a new path or a regular file (E310), and say
    plainly, on stderr, when the export is made while a run is going on or after one was killed."""
    from ottext.errors import Errors
    from ottext.export.files import check_output_path

    if out is not None:
        check_output_path(out)
    state = store.unfinished_run()
    if state is not None:
        detail = ("export again when it has finished" if state[0] == "is in progress"
                  else "run `ottext run` again to finish it, then export again")
        print("warning: " + Errors.format(Errors.W301, file=out, state=state[0], started=state[1], detail=detail),
              file=sys.stderr)
