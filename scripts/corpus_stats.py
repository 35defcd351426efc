"""Counts per code, voice and split of the training corpus, as Markdown (for the datasheet).

Usage: .venv/bin/python scripts/corpus_stats.py
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from ottext.classify.data import load_corpus
from ottext.codebook import load_codebook

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    cb = load_codebook()
    items = load_corpus(ROOT / "corpora" / "training", cb)
    splits = Counter(i.split for i in items)
    per_code = {s: Counter(c for i in items if i.split == s for c in i.codes) for s in ("train", "test")}
    sizes = Counter(len(i.codes) for i in items)
    print(f"{len(items)} passages: {splits['train']} train, {splits['test']} test; "
          f"{sizes[0]} with no code, {sum(v for k, v in sizes.items() if k >= 2)} with two or more codes\n")
    print("| code | train | test | all |\n|---|---|---|---|")
    for c in cb.ids:
        t, s = per_code["train"][c], per_code["test"][c]
        print(f"| {c} | {t} | {s} | {t + s} |")
    print("\n| voice | passages |\n|---|---|")
    for voice, n in Counter(i.voice for i in items).most_common():
        print(f"| {voice} | {n} |")


if __name__ == "__main__":
    main()
