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
