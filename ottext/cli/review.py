"""``ottext review export|import`` and ``ottext agreement``."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from ottext.cli._common import before_writing, fail, print_json, require_project
from ottext.errors import OttextError

app = typer.Typer(no_args_is_help=True, help="Human review of the model's codes.")


def _open(project: Path):
    from ottext.store import Store

    require_project(project)
    return Store(project)


@app.command("export")
def review_export(
    project: Path = typer.Option(Path("ottext-project"), "--project", "-p", help="Project folder."),
    out: Path = typer.Option(..., "--out", "-o", help="Review workbook to write (.xlsx)."),
    uncertain: bool = typer.Option(False, "--uncertain", help="Only passages with a score between 0.25 and 0.75."),
    codebook: Path = typer.Option(None, "--codebook", help="Codebook YAML (default: LGA standards)."),
) -> None:
    """Write a review workbook with predicted codes, scores and empty decision columns."""
    from ottext.codebook import load_codebook
    from ottext.review import export_review

    try:
        with _open(project) as store:
            before_writing(store, out)
            n = export_review(store, load_codebook(codebook), out, uncertain)
    except OttextError as exc:
        fail(str(exc))
    print(f"{n} passages to review -> {out}")


@app.command("import")
def review_import(
    file: Path = typer.Argument(..., help="A review workbook filled in by a coder."),
    coder: str = typer.Option(..., "--coder", help="The coder's name, recorded with each decision."),
    project: Path = typer.Option(Path("ottext-project"), "--project", "-p", help="Project folder."),
    codebook: Path = typer.Option(None, "--codebook", help="Codebook YAML (default: LGA standards)."),
) -> None:
    """Store a coder's decisions; they override the model in every export from now on."""
    import re

    from ottext.codebook import load_codebook
    from ottext.review import import_review

    if not re.fullmatch(r"[\w .'-]{1,60}", coder):
        fail(f"--coder must be a name (letters, digits, spaces, . ' -), not {coder!r}", code=2)
    try:
        with _open(project) as store:
            store.lock()
            run_id = store.begin_run()
            n, warnings = import_review(store, load_codebook(codebook), file, coder, run_id)
            store.finish_run(run_id, "review", {"run_id": run_id, "review": {"coder": coder, "decisions": n}})
    except OttextError as exc:
        fail(str(exc))
    for w in warnings:
        print(f"ottext: skipped: {w}", file=sys.stderr)
    print(f"Stored {n} decisions by {coder}. Re-run `ottext run` (or `ottext export`) to refresh the exports.")


def agreement(
    project: Path = typer.Option(Path("ottext-project"), "--project", "-p", help="Project folder."),
    codebook: Path = typer.Option(None, "--codebook", help="Codebook YAML (default: LGA standards)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Cohen's kappa per code and Krippendorff's alpha between coders and between coders and the model."""
    from ottext.codebook import load_codebook
    from ottext.review import agreement_report

    try:
        with _open(project) as store:
            result = agreement_report(store, load_codebook(codebook))
    except OttextError as exc:
        fail(str(exc))
    if as_json:
        print_json(result)
        return
    if not result:
        print("No review decisions yet (ottext review import).")
    for pair, r in result.items():
        print(f"{pair}: {r['decisions']} decisions on {r['passages']} passages, mean kappa {r['mean_kappa']:.3f}, "
              f"Krippendorff alpha {r['krippendorff_alpha']:.3f}")
        for code, k in r["kappa"].items():
            print(f"  {code:<22} kappa {k:.3f}")
