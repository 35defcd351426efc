"""``ottext scores``: health-check scores out of 100 per standard from a survey's Likert columns."""

from __future__ import annotations

from pathlib import Path

import typer

from ottext.cli._common import fail, print_json
from ottext.errors import OttextError


def scores(
    survey: Path = typer.Argument(..., help="Survey export (.csv or .xlsx) with Likert columns."),
    map_file: Path = typer.Option(..., "--map", help="YAML naming the columns of each standard."),
    codebook: Path = typer.Option(None, "--codebook", help="Codebook YAML the standards must belong to."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Average score out of 100 per standard, banded 0-50 low, 51-74 moderate, 75-100 high."""
    from ottext.codebook import load_codebook
    from ottext.scores import health_check_scores, to_dicts

    try:
        cb = load_codebook(codebook)
        result = health_check_scores(survey, map_file, cb.ids)
    except OttextError as exc:
        fail(str(exc))
    if as_json:
        print_json(to_dicts(result))
        return
    print(f"{'standard':<22}{'score':>7}  {'band':<9}{'items':>6}{'answers':>9}")
    for s in result:
        score = f"{s.score:.0f}" if s.score is not None else "-"
        print(f"{s.code:<22}{score:>7}  {s.band or '-':<9}{s.items:>6}{s.answers:>9}"
              + (f"  ({s.skipped} unrecognised answers skipped)" if s.skipped else ""))
