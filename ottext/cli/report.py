"""``ottext report``: the self-contained HTML report of a project."""

from __future__ import annotations

from pathlib import Path

import typer

from ottext.cli._common import before_writing, fail, require_project
from ottext.errors import OttextError


def report(
    project: Path = typer.Option(Path("ottext-project"), "--project", "-p", help="Project folder."),
    out: Path = typer.Option(None, "--out", "-o", help="HTML file (default exports/report.html)."),
    survey: Path = typer.Option(None, "--survey", help="Survey export with Likert columns, for health-check scores "
                                "(default: the Likert map the last run used, if any)."),
    map_file: Path = typer.Option(None, "--map", help="YAML naming the Likert columns of each standard."),
    by: str = typer.Option(None, "--by", help="Metadata column to break codes down by (default: role)."),
    title: str = typer.Option("ottext report", "--title", help="Report title."),
    codebook: Path = typer.Option(None, "--codebook", help="Codebook YAML (default: LGA standards)."),
) -> None:
    """Write the HTML report: summary, charts, co-occurrence, codes by group, topics, quotes."""
    from ottext.codebook import load_codebook
    from ottext.embed import project_embedder
    from ottext.forget import remembered_likert_map
    from ottext.report import build_report, write_report
    from ottext.store import Store

    if (survey is None) != (map_file is None):
        fail("--survey and --map go together", code=2)
    require_project(project)
    target = out or project / "exports" / "report.html"
    try:
        cb = load_codebook(codebook)
        scores = None
        from ottext.scores import health_check_scores

        if survey is not None:
            scores = health_check_scores(survey, map_file, cb.ids)
        with Store(project) as store:
            before_writing(store, target)
            if survey is None and (remembered := remembered_likert_map(store)) is not None:
                scores = health_check_scores(None, remembered, cb.ids)  # what the last run's report showed
            html_text = build_report(store, cb, project_embedder(store), scores, by, title)
        write_report(target, html_text)
    except OttextError as exc:
        fail(str(exc))
    print(f"Report -> {target}")
