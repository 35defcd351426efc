"""Report how the passages of a project cover the hand-coded gold passages of the seeds.

Usage: .venv/bin/python scripts/seed_coverage.py PROJECT [GOLD.jsonl]
(after `ottext run ../shared/seeds --project PROJECT`). Gold texts are normalised and redacted
with the document's own pseudonym map before they are looked up in the cleaned text.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from ottext.clean import normalise_text
from ottext.passages import coverage
from ottext.store import Store

ROOT = Path(__file__).resolve().parents[1]


def seed_coverage(project: Path, gold_path: Path) -> tuple[Counter, list[dict]]:
    store = Store(project)
    try:
        docs = {r["source"]: r for r in store.iter_documents()}
        spans: dict[str, list[tuple[int, int]]] = {}
        for p in store.iter_passages():
            spans.setdefault(p["document_id"], []).append((p["start"], p["end"]))
        results, tally = [], Counter()
        for line in gold_path.read_text(encoding="utf-8").splitlines():
            gold = json.loads(line)
            doc = docs.get(gold["doc"])
            if doc is None:
                outcome = "missing"
            else:
                target = normalise_text(gold["text"])
                for rec in sorted(store.redaction_map(doc["id"]), key=lambda r: -len(r["original"])):
                    target = target.replace(rec["original"], rec["placeholder"])
                outcome = coverage(doc["text"], spans.get(doc["id"], []), target)
            tally[outcome] += 1
            results.append({"id": gold["id"], "outcome": outcome})
        return tally, results
    finally:
        store.close()


def main() -> None:
    project = Path(sys.argv[1])
    gold = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT.parent / "shared" / "gold" / "seeds_gold.jsonl"
    tally, results = seed_coverage(project, gold)
    for r in results:
        if r["outcome"] == "missing":
            print("missing:", r["id"])
    total = sum(tally.values())
    print(f"{total} gold passages: {tally['exact']} exact, {tally['overlap']} by overlap, {tally['missing']} missing")


if __name__ == "__main__":
    main()
