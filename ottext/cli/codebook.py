"""``ottext codebook show|validate|import``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ottext.cli._common import fail, print_json
from ottext.codebook import load_codebook
from ottext.errors import Errors, OttextError

app = typer.Typer(no_args_is_help=True, help="Show, check or import a codebook.")


@app.command("show")
def show(
    codebook: Path = typer.Option(None, "--codebook", help="Codebook YAML (default: the LGA standards)."),
    as_json: bool = typer.Option(False, "--json", help="Print the codebook as JSON."),
    full: bool = typer.Option(False, "--full", help="Also print include/exclude rules and examples."),
) -> None:
    """Print the codes of a codebook."""
    try:
        cb = load_codebook(codebook)
    except OttextError as exc:
        fail(str(exc))
    if as_json:
        print_json({**cb.to_dict(), "hash": cb.hash})
        return
    table = Table(title=f"{cb.name} (version {cb.version}, hash {cb.hash})", show_lines=full)
    for col in ("id", "no.", "group", "name", "definition"):
        table.add_column(col, overflow="fold")
    for code in cb.codes:
        indent = "  " * len(cb.ancestors(code.id))
        text = code.definition
        if full:
            text += "\nInclude: " + "; ".join(code.include) + "\nExclude: " + "; ".join(code.exclude)
            text += "\nExamples: " + " | ".join(code.examples)
        table.add_row(indent + code.id, str(code.number or ""), code.group, code.name, text)
    Console(width=160).print(table)


@app.command("validate")
def validate(path: Path = typer.Argument(..., help="Codebook YAML to check.")) -> None:
    """Check a codebook file; prints OK or one line naming the code and field at fault."""
    try:
        cb = load_codebook(path)
    except OttextError as exc:
        fail(str(exc))
    print(f"{path}: OK, {len(cb)} codes ({', '.join(cb.ids)}), hash {cb.hash}")


@app.command("import")
def import_(
    path: Path = typer.Argument(..., help="REFI-QDA .qdc codebook or .qdpx/.qde project."),
    out: Path = typer.Option(None, "--out", help="Codebook YAML to write (default: FILE with .yaml)."),
    force: bool = typer.Option(False, "--force", help="Overwrite --out if it exists."),
) -> None:
    """Convert a REFI-QDA codebook into an ottext codebook YAML and print where it went."""
    from ottext.export.files import atomic_write
    from ottext.export.refi import codebook_from_qdc

    out = out or path.with_suffix(".yaml")
    try:
        cb = codebook_from_qdc(path)
    except OttextError as exc:
        fail(str(exc))
    if out.exists() and not force:
        fail(Errors.format(Errors.E504, file=out))
    try:
        with atomic_write(out, encoding="utf-8") as fh:
            fh.write(cb.to_yaml())
    except OSError as exc:
        fail(Errors.format(Errors.E305, file=out, detail=exc.strerror or str(exc)))
    print(f"{out}: wrote {len(cb)} codes from {path} (check with `ottext codebook validate {out}`)")
