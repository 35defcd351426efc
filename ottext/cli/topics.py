"""``ottext topics``: fit, update or refit a project's topics and write the topic outputs."""

from __future__ import annotations

from pathlib import Path

import typer

from ottext.cli._common import fail, print_json, require_project
from ottext.errors import OttextError


def topics(
    project: Path = typer.Option(Path("ottext-project"), "--project", "-p", help="Project folder."),
    refit: bool = typer.Option(False, "--refit", help="Refit on all passages, carrying ids over by centroid."),
    codebook: Path = typer.Option(None, "--codebook", help="Codebook YAML (for the topic-by-code table)."),
    as_json: bool = typer.Option(False, "--json", help="Print a machine-readable summary."),
) -> None:
    """Fit topics (first time), assign new passages, or refit with --refit."""
    from ottext.codebook import load_codebook
    from ottext.embed import project_embedder
    from ottext.store import Store
    from ottext.topics import update_topics
    from ottext.topics.outputs import write_topic_outputs

    require_project(project)
    try:
        cb = load_codebook(codebook)
        with Store(project) as store:
            store.lock()
            run_id = store.begin_run()
            summary = update_topics(store, project, project_embedder(store), run_id, refit=refit)
            paths = write_topic_outputs(store, cb, project / "exports")
            store.finish_run(run_id, "finished", {"topics": summary.to_dict()})
    except OttextError as exc:
        fail(str(exc))
    if as_json:
        print_json({**summary.to_dict(), "files": {k: str(v) for k, v in paths.items()}})
        return
    carried = f"; {summary.carried_over} topic ids carried over" if summary.carried_over is not None else ""
    print(f"Topics {summary.status}: {summary.topics} topics, {summary.assigned} passages assigned{carried}.")
    for path in paths.values():
        if path.exists():
            print(f"  {path}")
