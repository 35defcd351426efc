"""Fine-tuned reader against the shipped recipe, on the held-out split and the development sets.

Usage:
  HF_HUB_OFFLINE=1 .venv/bin/python scripts/reader_experiment.py [--epochs 4] [--lr 4e-5] [--out /tmp/reader]

Trains ``ottext.classify.reader.FineTunedReader`` on the corpus's train split (never on the test
split or the development sets), then prints macro-F1 and mean kappa at a 0.5 threshold and at
per-code thresholds chosen on the train split's own scores, beside the shipped model, on the held-out
test split, ``../shared/gold/real_dev.jsonl`` and ``../shared/gold/seeds_gold.jsonl``. Saves each
set's scores (``.npz``) in ``--out`` for later analysis.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ottext.classify.data import label_matrix, load_corpus, load_labelled  # noqa: E402
from ottext.classify.metrics import agreement  # noqa: E402
from ottext.classify.reader import FineTunedReader  # noqa: E402
from ottext.codebook import load_codebook  # noqa: E402

GOLD = ROOT.parent / "shared/gold"
DEV = {"real_dev": GOLD / "real_dev.jsonl", "seeds_gold": GOLD / "seeds_gold.jsonl"}


def shipped_proba(codebook, items):
    from ottext.classify.features import embed_pair
    from ottext.classify.persist import load_model
    from ottext.embed import MiniLMEmbedder

    emb = MiniLMEmbedder()
    clf, _ = load_model(ROOT / "models/ottext-lga-minilm", codebook, emb)
    texts, contexts = [i.text for i in items], [i.context for i in items]
    proba = clf.predict_proba(texts, contexts, embed_pair(emb, texts, contexts))
    return proba, clf.decide(proba.copy())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--lr", type=float, default=4e-5)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--no-context", action="store_true")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpora/training")
    parser.add_argument("--out", type=Path, default=Path("/tmp/reader"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    cb = load_codebook()
    items = load_corpus(args.corpus, cb)
    train = [i for i in items if i.split == "train"]
    sets = {"test split": [i for i in items if i.split == "test"]}
    sets |= {name: load_labelled(p, cb) for name, p in DEV.items() if p.is_file()}
    y = label_matrix(train, cb)
    reader = FineTunedReader(len(cb), max_length=args.max_length, epochs=args.epochs, lr=args.lr,
                             use_context=not args.no_context)
    started = time.perf_counter()

    def progress(epoch, step, total, loss):
        if step % 50 == 0 or step == total:
            print(f"  epoch {epoch + 1} step {step}/{total} loss {loss:.4f} ({time.perf_counter() - started:.0f}s)",
                  flush=True)

    reader.fit([i.text for i in train], [i.context for i in train], y, progress=progress)
    print(f"trained on {len(train)} passages in {time.perf_counter() - started:.0f}s")
    train_p = reader.predict_proba([i.text for i in train], [i.context for i in train])
    from ottext.classify.model import best_threshold

    thresholds = np.array([best_threshold(y[:, j], train_p[:, j]) for j in range(len(cb))])
    print("thresholds from the train split's own scores:", np.round(thresholds, 2).tolist())
    for name, its in sets.items():
        truth = label_matrix(its, cb)
        t0 = time.perf_counter()
        proba = reader.predict_proba([i.text for i in its], [i.context for i in its])
        secs = time.perf_counter() - t0
        ship_p, ship_pred = shipped_proba(cb, its)
        np.savez(args.out / f"{name.replace(' ', '_')}.npz", reader=proba, shipped=ship_p, truth=truth)
        rows = {"reader @0.5": proba >= 0.5, "reader @train thresholds": proba >= thresholds,
                "shipped": ship_pred.astype(bool)}
        oracle = np.array([best_threshold(truth[:, j], proba[:, j]) for j in range(len(cb))])
        rows["reader @oracle thresholds (ceiling)"] = proba >= oracle
        print(f"{name} (n={len(its)}, scored in {secs:.1f}s):")
        for label, pred in rows.items():
            a = agreement(truth, pred.astype(int), cb.ids)
            print(f"  {label:<38} macro-F1 {a['macro_f1']:.3f}  mean kappa {a['mean_kappa']:.3f}")
    if args.out:
        reader.save(args.out)


if __name__ == "__main__":
    main()
