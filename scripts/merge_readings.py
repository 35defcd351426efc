"""Merge two blind readings of the training corpus and the adjudication of their disagreements.

Usage:
  .venv/bin/python scripts/merge_readings.py [--drafts corpora/drafts] [--check]

For each corpus file `passages_X.jsonl` (X = a...w): the first reading is the writer's codes
(`corpora/training/` for a-f, `corpora/drafts/` for newer files), the second a blind coder's
(`corpora/readings/X_second.jsonl`, or the drafts' `second/` folder), and where they differ the
adjudicator's (`X_adjudicated.jsonl`). Writes `corpora/training/passages_X.jsonl` with the final
codes (in codebook order), keeps every reading in `corpora/readings/`, and prints the agreement
between the two readings per file. Codes added or removed later, when a coding rule was settled
for passages already merged, come last from `corpora/readings/revisions.jsonl` (one line per
passage: id, add, remove, and the rule). With `--check`, only verifies that the training files
equal what the readings give.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ottext.codebook import load_codebook  # noqa: E402

TRAINING, READINGS = ROOT / "corpora" / "training", ROOT / "corpora" / "readings"
GROUPS = {"ab": "ab", "cd": "cd", "ef": "ef"}  # files blind-coded together


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _codes(path: Path) -> dict[str, list[str]]:
    return {r["id"]: r["codes"] for r in _lines(path)} if path.is_file() else {}


def _revisions(path: Path) -> dict[str, dict]:
    """Later changes to merged passages' codes, by passage id (each names the rule that made it)."""
    return {r["id"]: r for r in _lines(path)} if path.is_file() else {}


def _revised(codes: list[str], revision: dict | None) -> list[str]:
    if revision is None:
        return codes
    kept = [c for c in codes if c not in revision.get("remove", [])]
    return kept + [c for c in revision.get("add", []) if c not in kept]


def _agreement(first: dict, second: dict, codes: list[str]) -> tuple[float, float]:
    """Share of passages with identical code sets, and mean per-code F1 of one reading against the other."""
    same = sum(set(first[i]) == set(second[i]) for i in first) / len(first)
    f1s = []
    for c in codes:
        a = {i for i in first if c in first[i]}
        b = {i for i in first if c in second[i]}
        if a or b:
            f1s.append(2 * len(a & b) / (len(a) + len(b)))
    return same, sum(f1s) / len(f1s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drafts", type=Path, default=ROOT / "corpora" / "drafts")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    cb = load_codebook()
    READINGS.mkdir(exist_ok=True)
    second_dir = args.drafts / "second"
    groups = {x: next((g for g in GROUPS if x in g), x) for x in "abcdefghijklmnopqrstuvw"}
    revisions = _revisions(READINGS / "revisions.jsonl")
    bad = [i for i, r in revisions.items() if set(r.get("add", []) + r.get("remove", [])) - set(cb.ids)]
    if bad:
        raise SystemExit(f"{READINGS / 'revisions.jsonl'}: unknown code ids in the revisions of {', '.join(bad)}")
    merged: set[str] = set()
    print("| file | passages | identical code sets | mean per-code F1 between readings | adjudicated |")
    print("|---|---|---|---|---|")
    problems = 0
    for x, group in groups.items():
        source = args.drafts / f"passages_{x}.jsonl"
        first_file = READINGS / f"{x}_first.jsonl"
        if first_file.is_file():
            records = _lines(TRAINING / f"passages_{x}.jsonl")
            first = _codes(first_file)
        elif source.is_file() or (TRAINING / f"passages_{x}.jsonl").is_file():
            records = _lines(source if source.is_file() else TRAINING / f"passages_{x}.jsonl")
            first = {r["id"]: r["codes"] for r in records}
        else:
            continue
        second = _codes(READINGS / f"{x}_second.jsonl") or {
            i: c for i, c in _codes(second_dir / f"{group}_codes.jsonl").items() if i in first}
        adjudicated = _codes(READINGS / f"{x}_adjudicated.jsonl") or {
            i: c for i, c in _codes(second_dir / f"{group}_adjudicated.jsonl").items() if i in first}
        missing = [i for i in first if i not in second or (set(first[i]) != set(second[i]) and i not in adjudicated)]
        if missing:
            print(f"| {x} | {len(first)} | readings incomplete: {len(missing)} passages lack a second reading "
                  "or an adjudication | | |")
            problems += 1
            continue
        final = {i: first[i] if set(first[i]) == set(second[i]) else adjudicated[i] for i in first}
        same, f1 = _agreement(first, second, cb.ids)
        differ = sum(set(first[i]) != set(second[i]) for i in first)
        print(f"| passages_{x} | {len(first)} | {same:.0%} | {f1:.2f} | {differ} |")
        final = {i: _revised(codes, revisions.get(i)) for i, codes in final.items()}
        merged |= set(final)
        out = [{**r, "codes": [c for c in cb.ids if c in cb.roll_up(final[r["id"]])]} for r in records]
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out)
        target = TRAINING / f"passages_{x}.jsonl"
        if args.check:
            if not target.is_file() or target.read_text(encoding="utf-8") != text:
                print(f"  {target} is missing or differs from what its readings give")
                problems += 1
            continue
        for name, codes in (("first", first), ("second", second), ("adjudicated", adjudicated)):
            (READINGS / f"{x}_{name}.jsonl").write_text(
                "".join(json.dumps({"id": i, "codes": codes[i]}, ensure_ascii=False) + "\n"
                        for i in first if i in codes), encoding="utf-8")
        target.write_text(text, encoding="utf-8")
    if orphans := sorted(set(revisions) - merged):
        print(f"revisions name passages no file holds: {', '.join(orphans)}")
        problems += 1
    raise SystemExit(1 if problems else 0)


if __name__ == "__main__":
    main()
