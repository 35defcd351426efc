"""``ottext quotes``: a quote pack for one code (optionally combined with others)."""

from __future__ import annotations

from pathlib import Path

import typer

from ottext.cli._common import before_writing, fail, require_project
from ottext.errors import OttextError


def quotes(
    project: Path = typer.Option(Path("ottext-project"), "--project", "-p", help="Project folder."),
    code: str = typer.Option(..., "--code", help="Code id, e.g. safe_workload."),
    n: int = typer.Option(5, "--n", min=1, max=100, help="How many quotes."),
    fmt: str = typer.Option("md", "--format", "-f", help="md, docx, html or json."),
    also: list[str] = typer.Option(None, "--also", help="Also require this code (repeatable)."),
    where: list[str] = typer.Option(None, "--where", help="Metadata filter KEY=VALUE (repeatable)."),
    per_respondent: int = typer.Option(1, "--per-respondent", min=1, help="Quotes allowed per respondent."),
    out: Path = typer.Option(None, "--out", "-o",
                             help="File to write (default: CODE.FORMAT in the project's exports/quotes folder)."),
    codebook: Path = typer.Option(None, "--codebook", help="Codebook YAML (default: LGA standards)."),
) -> None:
    """Pick the best illustrative quotes for a code: confident, central, diverse, attributed."""
    from ottext.codebook import load_codebook
    from ottext.embed import project_embedder
    from ottext.export.quotes import FORMATS, select_quotes, shortfall, write_quotes
    from ottext.store import Store

    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}", code=2)
    filters = {}
    for item in where or []:
        if "=" not in item:
            fail(f"--where takes KEY=VALUE, not {item!r}", code=2)
        key, value = item.split("=", 1)
        filters[key.strip()] = value.strip()
    require_project(project)
    try:
        cb = load_codebook(codebook)
        unknown = [c for c in [code, *(also or [])] if c not in cb]
        if unknown:
            fail(f"unknown code {unknown[0]!r} (codes: {', '.join(cb.ids)})", code=2)
        with Store(project) as store:
            before_writing(store, out)
            picked = select_quotes(store, cb, code, project_embedder(store), n=n, also=also,
                                   where=filters, per_respondent=per_respondent)
            why = shortfall(store, cb, code, len(picked), n, also=also, where=filters, per_respondent=per_respondent)
        suffix = "".join(f"+{c}" for c in also or [])
        target = out or project / "exports" / "quotes" / f"{code}{suffix}.{fmt}"
        write_quotes(picked, cb, code, target, fmt, also)
    except OttextError as exc:
        fail(str(exc))
    noun = "quote" if len(picked) == 1 else "quotes"
    print(f"{len(picked)} {noun} for {code}{suffix} -> {target}" + (f" ({why})" if why else ""))
