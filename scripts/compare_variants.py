"""Compare classifier variants on the development sets, each against the shipped recipe.

Usage: .venv/bin/python scripts/compare_variants.py [--only NAME ...] [--extra FILE] [--relabel FILE ...]

Every variant is fitted on the training corpus's train split (never on the development sets) and
scored on ``../shared/gold/real_dev.jsonl``, ``../shared/gold/seeds_gold.jsonl`` and both pooled,
with macro-F1, mean kappa and the 95% paired-bootstrap interval of its macro-F1 minus the shipped
recipe's on the pooled set. An interval that straddles zero means the sets cannot tell the two
apart. ``--extra FILE`` adds a labelled ``.jsonl`` to the training data (variant ``+extra``);
``--relabel FILE`` applies label changes (``{"id", "add": [...], "remove": [...]}`` lines) to the
train split (variant ``relabelled``). Takes about a minute plus a minute per 1,000 new texts.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ottext.classify.data import Labelled, label_matrix, load_corpus, load_labelled  # noqa: E402
from ottext.classify.metrics import agreement, paired_difference  # noqa: E402
from ottext.classify.model import CodeClassifier  # noqa: E402
from ottext.classify.train import DEFAULT_PARAMS  # noqa: E402
from ottext.codebook import load_codebook  # noqa: E402
from ottext.embed import get_embedder  # noqa: E402
from ottext.errors import OttextError  # noqa: E402

GOLD = ROOT.parent / "shared" / "gold"
SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]*\s+(?=[\"“‘(]?[A-Z0-9])")


class MemoEmbedder:
    """An embedder that embeds each distinct text once per run."""

    def __init__(self, name: str) -> None:
        self.inner = get_embedder(name)
        self.id, self.dim = self.inner.id, self.inner.dim
        self.memo: dict[str, np.ndarray] = {}

    def embed(self, texts: list[str]) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if new:
            self.memo.update(zip(new, self.inner.embed(new), strict=True))
        return np.array([self.memo[t] for t in texts], dtype=np.float32).reshape(len(texts), self.dim)


def fit(train: list[Labelled], cb, embedder, **params) -> CodeClassifier:
    texts, contexts = [i.text for i in train], [i.context for i in train]
    return CodeClassifier(cb, embedder=embedder, **{**DEFAULT_PARAMS, **params}).fit(
        texts, contexts, label_matrix(train, cb))


def scores_of(clf: CodeClassifier, items: list[Labelled]) -> np.ndarray:
    return clf.predict_proba([i.text for i in items], [i.context for i in items])


def sentence_aware(clf: CodeClassifier, items: list[Labelled]) -> np.ndarray:
    """A passage of several sentences also gets half-way to its best sentence's score per code."""
    whole = scores_of(clf, items)
    for k, item in enumerate(items):
        parts = [p for p in SENTENCE_END.split(item.text) if p.strip()]
        if len(parts) > 1:
            best = clf.predict_proba(parts, [item.context] * len(parts)).max(axis=0)
            whole[k] = np.maximum(whole[k], (whole[k] + best) / 2)
    return whole


def relabelled(train: list[Labelled], files: list[Path], cb) -> list[Labelled]:
    changes = {}
    for f in files:
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                changes[rec["id"]] = rec
    out = []
    for i in train:
        rec = changes.get(i.id)
        if rec:
            codes = [c for c in i.codes if c not in rec.get("remove", [])] + rec.get("add", [])
            i = Labelled(i.id, i.text, i.context, cb.roll_up(codes), i.voice)
        out.append(i)
    return out


def _own(clf: CodeClassifier, pool: list[Labelled]) -> tuple[np.ndarray, np.ndarray]:
    """A variant fitted on its own: its scores on the pooled sets and its own thresholds."""
    return scores_of(clf, pool), clf.thresholds_


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="variant names to run (the shipped recipe always runs)")
    parser.add_argument("--extra", type=Path, help="labelled .jsonl added to the training data")
    parser.add_argument("--relabel", type=Path, nargs="*", default=[], help="label-change .jsonl files")
    args = parser.parse_args()
    cb = load_codebook()
    train = [i for i in load_corpus(ROOT / "corpora" / "training", cb) if i.split == "train"]
    dev, seeds = load_labelled(GOLD / "real_dev.jsonl", cb), load_labelled(GOLD / "seeds_gold.jsonl", cb)
    pool, n_dev = dev + seeds, len(dev)
    truth = label_matrix(pool, cb)
    extra = load_labelled(args.extra, cb) if args.extra else []  # bad files fail here, before any fitting
    changed = relabelled(train, args.relabel, cb) if args.relabel else train
    minilm, static = MemoEmbedder("minilm"), MemoEmbedder("static")
    shipped = fit(train, cb, minilm)

    @functools.cache
    def static_model() -> CodeClassifier:
        return fit(train, cb, static)

    variants: dict[str, Callable[[], tuple[np.ndarray, np.ndarray]]] = {
        "shipped": lambda: (scores_of(shipped, pool), shipped.thresholds_),
        "static": lambda: (scores_of(static_model(), pool), static_model().thresholds_),
        "C=0.3": lambda: _own(fit(train, cb, minilm, C=0.3), pool),
        "C=3": lambda: _own(fit(train, cb, minilm, C=3.0), pool),
        "no lexical features": lambda: _own(fit(train, cb, minilm, lexical_weight=0.0, context_weight=0.0), pool),
        "no code similarity": lambda: _own(fit(train, cb, minilm, code_similarity_weight=0.0), pool),
        "sentence-aware": lambda: (sentence_aware(shipped, pool), shipped.thresholds_),
        "minilm+static mean": lambda: ((scores_of(shipped, pool) + scores_of(static_model(), pool)) / 2,
                                       (shipped.thresholds_ + static_model().thresholds_) / 2),
    }
    if args.extra:
        variants["+extra"] = lambda: _own(fit(train + extra, cb, minilm), pool)
    if args.relabel:
        variants["relabelled"] = lambda: _own(fit(changed, cb, minilm), pool)
    chosen = [v for v in variants if v == "shipped" or not args.only or v in args.only]
    base = None
    print(f"{'variant':<22}{'real_dev F1/kappa':>19}{'seeds F1/kappa':>17}{'pooled F1/kappa':>18}"
          f"  pooled macro-F1 minus shipped (95%)")
    for name in chosen:
        proba, thresholds = variants[name]()
        labels = shipped._roll_up_labels((proba >= thresholds).astype(np.int8))
        base = labels if base is None else base
        cells = []
        for rows in (slice(0, n_dev), slice(n_dev, None), slice(None)):
            s = agreement(truth[rows], labels[rows], cb.ids)
            cells.append(f"{s['macro_f1']:.3f}/{s['mean_kappa']:.3f}")
        low, high = paired_difference(truth, labels, base)["macro_f1"]
        print(f"{name:<22}{cells[0]:>19}{cells[1]:>17}{cells[2]:>18}  {low:+.3f} to {high:+.3f}", flush=True)


if __name__ == "__main__":
    try:
        main()
    except (OttextError, OSError) as exc:  # a missing gold file or a bad --extra/--relabel file: one line
        sys.exit(f"compare_variants: {exc}")
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        sys.exit(f"compare_variants: a --relabel line is not an object with an 'id' and code lists ({exc})")
