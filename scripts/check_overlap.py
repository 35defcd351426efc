"""Decontamination check: how close is any training passage to any development passage?

Usage: .venv/bin/python scripts/check_overlap.py [GOLD.jsonl ...]
(default: ../shared/gold/real_dev.jsonl and ../shared/gold/seeds_gold.jsonl). Prints the closest
pairs by MiniLM cosine similarity and how many training passages exceed 0.8 (near paraphrases).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from ottext.classify.data import load_corpus, load_labelled
from ottext.codebook import load_codebook
from ottext.embed import MiniLMEmbedder

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    golds = [Path(p) for p in sys.argv[1:]] or [ROOT.parent / "shared" / "gold" / n
                                                  for n in ("real_dev.jsonl", "seeds_gold.jsonl")]
    cb = load_codebook()
    train = load_corpus(ROOT / "corpora" / "training", cb)
    gold = [g for path in golds for g in load_labelled(path, cb)]
    emb = MiniLMEmbedder()
    sims = emb.embed([t.text for t in train]) @ emb.embed([g.text for g in gold]).T
    best = sims.max(axis=1)
    for i in np.argsort(-best)[:5]:
        j = int(sims[i].argmax())
        print(f"{best[i]:.3f}  {train[i].id}: {train[i].text[:70]!r}\n       {gold[j].id}: {gold[j].text[:70]!r}")
    print(f"{len(train)} training passages vs {len(gold)} development passages: max cosine {best.max():.3f}; "
          f"{int((best > 0.8).sum())} above 0.8, {int((best > 0.7).sum())} above 0.7")


if __name__ == "__main__":
    main()
