"""``ottext diff``: what the latest run changed."""

from __future__ import annotations

from pathlib import Path

import typer

from ottext.cli._common import fail, print_json, require_project
from ottext.errors import OttextError


def diff(
    project: Path = typer.Option(Path("ottext-project"), "--project", "-p", help="Project folder."),
    since: str = typer.Option(None, "--since", help="Compare with this run id (default: the run before)."),
    codebook: Path = typer.Option(None, "--codebook", help="Codebook YAML (default: LGA standards)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """New passages per code, code counts before and after, topics that grew or appeared."""
    from ottext.codebook import load_codebook
    from ottext.runs import diff_runs
    from ottext.store import Store

    require_project(project)
    try:
        cb = load_codebook(codebook)
        with Store(project) as store:
            result = diff_runs(store, cb, since)
    except KeyError:
        fail(f"{project}: no finished run {since!r} (see exports/runs/)", code=2)
    except OttextError as exc:
        fail(str(exc))
    if as_json:
        print_json(result)
        return
    print(f"Run {result['latest']} compared with {result['since'] or 'an empty project'}: "
          f"{result['new_passages']} new passage{'' if result['new_passages'] == 1 else 's'}")
    print(f"{'code':<22}{'new':>6}{'before':>8}{'after':>7}")
    for code in cb.ids:
        c = result["code_counts"][code]
        print(f"{code:<22}{result['new_passages_by_code'][code]:>6}{c['before']:>8}{c['after']:>7}")
    for p in result["passages"]:
        text = " ".join(p["text"].split())
        short = text if len(text) <= 80 else text[:79] + "\u2026"
        print(f"new {p['id']}  {p['document']}  {short!s}  [{', '.join(p['codes']) or 'no codes'}]")
    for t in result["topics_appeared"]:
        print(f"topic appeared: {t}")
    for t, v in result["topics_grew"].items():
        print(f"topic grew: {t} ({v['before']} -> {v['after']})")
