"""``ottext forget``: delete one respondent's (or one source file's) data from a project."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import typer

from ottext.cli._common import fail, print_json, require_project
from ottext.errors import OttextError


def forget(
    respondent: str = typer.Option(None, "--respondent", help="Respondent id (as in exports/documents.jsonl)."),
    source: str = typer.Option(None, "--source", help="A whole source file (as in exports/manifest.json)."),
    project: Path = typer.Option(Path("ottext-project"), "--project", "-p", help="Project folder."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Delete a respondent's (or a source file's) data from the project; later runs skip it.

    Every passage, coding, topic assignment, cached embedding and export row of theirs goes.
    """
    from dataclasses import asdict

    from ottext.forget import forget as forget_data

    if (respondent is None) == (source is None):
        fail("give exactly one of --respondent ID and --source FILE", code=2)
    require_project(project)
    try:
        result = forget_data(project, respondent=respondent, source=source)
    except OttextError as exc:
        fail(str(exc))
    except sqlite3.Error as exc:  # a damaged or unwritable database (the deletion itself is one transaction)
        fail(f"{project}: cannot delete from the project database ({exc})")
    if as_json:
        print_json(asdict(result))
        return
    what = f"respondent {respondent!r}" if respondent is not None else f"source {source!r}"
    print(f"Forgot {what}: {result.documents} documents, {result.passages} passages, {result.codings} codings, "
          f"{result.embeddings} cached embeddings"
          + (f", {result.mentions} mentions of them in other documents' pseudonym maps" if result.mentions else "")
          + f" deleted; {len(result.exports_rewritten)} export files rewritten"
          + (f", {len(result.exports_deleted)} stale ones deleted" if result.exports_deleted else "") + ".")
    for folder in result.models_removed:
        print(f"Removed {folder}: it was retrained on these passages; rebuild it with `ottext train --with-reviews`.")
    print("Later runs skip it. Copies made outside the project (ottext export --out, review workbooks, "
          "quote packs sent on) are not tracked: delete those yourself.")
