"""Measure topic stability on the demo corpus: two runs in a row, ten new documents, a refit.

Usage: .venv/bin/python scripts/topic_stability.py
Copies corpora/demo to a temporary folder, runs the main job twice (assignments must be
identical), adds ten new documents (passages of the training corpus's held-out split, written
for this project), runs again (every earlier passage must keep its topic), then refits and
reports how many topic ids carried over.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from ottext.classify.data import load_corpus
from ottext.codebook import load_codebook
from ottext.run import RunOptions, run_project
from ottext.store import Store

ROOT = Path(__file__).resolve().parents[1]


def assignments(project: Path) -> dict[str, tuple[int, float]]:
    with Store(project) as store:
        return store.topic_assignments()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        corpus, project = Path(tmp) / "demo", Path(tmp) / "project"
        shutil.copytree(ROOT / "corpora" / "demo", corpus)
        first = run_project([corpus], project)
        a1 = assignments(project)
        second = run_project([corpus], project)
        a2 = assignments(project)
        held_out = [i for i in load_corpus(ROOT / "corpora" / "training", load_codebook()) if i.split == "test"]
        for n, item in enumerate([i for i in held_out if len(i.text.split()) > 20][:10]):
            (corpus / f"new_{n:02d}.txt").write_text(item.text + "\n", encoding="utf-8")
        third = run_project([corpus], project)
        a3 = assignments(project)
        kept = sum(1 for pid, v in a1.items() if a3.get(pid) == v)
        refit = run_project([corpus], project, RunOptions(refit_topics=True))
        a4 = assignments(project)
        moved = sum(1 for pid, v in a3.items() if a4.get(pid, (None,))[0] != v[0])
        print(json.dumps({
            "first_run": first.topics, "second_run_identical": a1 == a2, "second_run": second.topics,
            "after_10_new_documents": third.topics, "earlier_passages_kept_topic": f"{kept}/{len(a1)}",
            "refit": refit.topics, "passages_whose_topic_id_changed_on_refit": f"{moved}/{len(a4)}",
        }, indent=1))


if __name__ == "__main__":
    main()
