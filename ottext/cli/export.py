"""``ottext export``: coded excerpts (csv, xlsx, jsonl, parquet) and REFI-QDA files (qdpx, qdc)."""

from __future__ import annotations

from pathlib import Path

import typer

from ottext.cli._common import before_writing, fail, require_project
from ottext.errors import OttextError

ALL_FORMATS = ("csv", "xlsx", "jsonl", "parquet", "qdpx", "qdc")


def export(
    project: Path = typer.Option(Path("ottext-project"), "--project", "-p", help="Project folder."),
    fmt: str = typer.Option(..., "--format", "-f", help="csv, xlsx, jsonl, parquet, qdpx or qdc."),
    out: Path = typer.Option(..., "--out", "-o", help="File to write."),
    shape: str = typer.Option("long", "--shape", help="long (row per passage and code) or wide (row per passage)."),
    codebook: Path = typer.Option(None, "--codebook", help="Codebook YAML (default: LGA standards)."),
) -> None:
    """Export the project's coded excerpts or a REFI-QDA project/codebook."""
    from ottext.codebook import load_codebook
    from ottext.errors import Errors
    from ottext.store import Store

    if fmt not in ALL_FORMATS:
        fail(f"--format must be one of {', '.join(ALL_FORMATS)}, not {fmt!r}", code=2)
    if shape not in ("long", "wide"):
        fail(f"--shape must be long or wide, not {shape!r}", code=2)
    try:
        cb = load_codebook(codebook)
        if fmt == "qdc":
            from ottext.export.refi import write_qdc

            write_qdc(cb, out)
            print(f"Wrote the codebook ({len(cb)} codes) to {out}")
            return
        require_project(project)
        with Store(project) as store:
            before_writing(store, out)
            if fmt == "qdpx":
                from ottext.export.refi import write_qdpx

                write_qdpx(store, cb, out, project.resolve().name)
                print(f"Wrote a REFI-QDA project to {out}")
                return
            from ottext.export.coded import write_coded

            n = write_coded(store, cb, out, fmt, shape)
    except OttextError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(Errors.format(Errors.E305, file=out, detail=exc.strerror or str(exc)))
    print(f"Wrote {n} {shape} rows to {out}")
