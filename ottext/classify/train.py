"""``ottext train``: fit the classifier on the training corpus, score it honestly, save it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ottext.classify.baseline import ZeroShotBaseline
from ottext.classify.coders import second_coder_scores
from ottext.classify.data import (
    Labelled,
    corpus_hash,
    label_matrix,
    load_corpus,
    load_labelled,
    reading_matrix,
    readings_dir,
)
from ottext.classify.features import embed_pair
from ottext.classify.metrics import agreement, calibration, paired_difference
from ottext.classify.model import CodeClassifier
from ottext.classify.persist import save_model
from ottext.codebook import Codebook
from ottext.embed import Embedder

DEFAULT_PARAMS = {"C": 1.0, "cv": 5, "random_state": 0, "lexical_weight": 1.0, "context_weight": 0.6,
                  "embedding_weight": 1.0, "context_embedding_weight": 0.5, "code_similarity_weight": 2.0}


@dataclass
class TrainReport:
    version: str
    out_dir: Path
    n_train: int
    n_test: int
    scores: dict  # name -> agreement dict (cv, test, dev sets, baselines)
    review_thresholds: dict | None = None  # code -> threshold, corpus threshold, reviewed positives


def train_model(corpus_dir: Path, codebook: Codebook, out_dir: Path, embedder: Embedder,
                dev_sets: dict[str, Path] | None = None, extra: list[Labelled] | None = None,
                params: dict | None = None) -> TrainReport:
    """Fit on the corpus's train split (plus ``extra`` reviewed passages), score on the held-out
    split and any development sets, and save the model with its card."""
    params = {**DEFAULT_PARAMS, **(params or {})}
    items = load_corpus(corpus_dir, codebook)
    train = [i for i in items if i.split == "train"] + list(extra or [])
    test = [i for i in items if i.split == "test"]
    texts, contexts = [i.text for i in train], [i.context for i in train]
    y = label_matrix(train, codebook)
    emb = embed_pair(embedder, texts, contexts)
    decided = None
    if extra:  # a reviewed row counts for every code: the workbook's blank keeps the model's decision
        decided = np.zeros(y.shape, dtype=bool)
        decided[len(train) - len(extra):] = True
    soft = params.get("reader_soft", 0.0) > 0 and params.get("reader_weight", 0.0) > 0
    readings = reading_matrix(train, codebook, readings_dir(corpus_dir)) if soft else None
    clf = CodeClassifier(codebook, embedder=embedder, **params).fit(texts, contexts, y, embeddings=emb,
                                                                     decided=decided, readings=readings)
    baseline = ZeroShotBaseline(codebook, embedder).fit(emb[0], y)
    scores = {"cross-validation (train split)": agreement(y, clf.decide(clf.oof_proba_.copy()), codebook.ids)}
    scores["cross-validation (train split)"]["calibration"] = calibration(y, clf.oof_proba_)
    evals = {"held-out test split": test}
    for name, path in (dev_sets or {}).items():
        if Path(path).is_file():
            evals[name] = load_labelled(path, codebook)
    for name, its in evals.items():
        e = embed_pair(embedder, [i.text for i in its], [i.context for i in its])
        truth = label_matrix(its, codebook)
        proba = clf.predict_proba([i.text for i in its], [i.context for i in its], e)
        y_model, y_base = clf.decide(proba.copy()), baseline.predict(e[0])
        scores[name] = agreement(truth, y_model, codebook.ids)
        scores[name]["calibration"] = calibration(truth, proba)
        scores[name]["minus_baseline_95"] = paired_difference(truth, y_model, y_base)
        scores[f"{name}: zero-shot baseline"] = agreement(truth, y_base, codebook.ids)
        if name != "held-out test split":
            scores.update({f"{name}: {coder}": s for coder, s in second_coder_scores(its, codebook).items()})
    info = {"training_data": str(corpus_dir), "training_data_sha256": corpus_hash(corpus_dir),
            "n_train": len(train), "n_test": len(test), "n_reviewed": len(extra or []),
            "embedder": embedder.id, "train_ids": [i.id for i in train], "train_texts": texts}
    if soft:
        info["readings_sha256"] = corpus_hash(readings_dir(corpus_dir))
    if extra:
        info["review_thresholds"] = {
            c: {"threshold": float(t), "corpus": float(ct), "reviewed_positives": int(k)} for c, t, ct, k in
            zip(clf.classes_, clf.thresholds_, clf.corpus_thresholds_, clf.review_positives_, strict=True)}
    card = render_card(out_dir.name, codebook, clf, info, scores)
    version = save_model(clf, out_dir, info, card)
    return TrainReport(version, out_dir, len(train), len(test), scores, info.get("review_thresholds"))


def render_card(name: str, codebook: Codebook, clf: CodeClassifier, info: dict, scores: dict) -> str:
    """The Markdown model card (``{{VERSION}}`` and ``{{CHECKSUMS}}`` are filled in on save)."""
    lines = [
        f"# Model card: {name}", "",
        "Version: `{{VERSION}}`", "",
        "Multi-label coder for the ottext codebook: one logistic regression per code over TF-IDF of",
        "spaCy lookup lemmas (passage and its context), sentence embeddings of the passage and its",
        f"context (`{info['embedder']}`) and the passage's cosine similarity to each code's description,",
        "calibrated with Platt scaling on 5-fold out-of-fold scores, with a per-code threshold chosen on",
        "those out-of-fold scores to maximise F1. A child code implies its parent.",
        "",
        *(_reader_lines(clf) if clf.reader_weight > 0 else []),
        "## Provenance", "",
        f"- training data: `{info['training_data']}` sha256 `{info['training_data_sha256']}`",
        f"- passages: {info['n_train']} train ({info['n_reviewed']} from human review), "
        f"{info['n_test']} held out for testing",
        f"- codebook: {codebook.name} version {codebook.version}, hash `{codebook.hash}`",
        f"- embedder: `{info['embedder']}`",
        f"- parameters: C={clf.C}, folds={clf.cv}, seed={clf.random_state}, weights lexical={clf.lexical_weight} "
        f"context={clf.context_weight} embedding={clf.embedding_weight} "
        f"context-embedding={clf.context_embedding_weight} code-similarity={clf.code_similarity_weight}",
        "- rebuild: `ottext train` (deterministic: fixed folds and seeds)", "",
        "## Thresholds", "",
    ]
    if info.get("review_thresholds"):
        lines += [f"Moved toward the project's reviewed passages: a code in force on k of them takes "
                  f"k/(k+{clf.review_prior:g}) of the threshold that best fits them (out-of-fold scores).", "",
                  "| code | threshold | from the corpus | reviewed passages with the code |", "|---|---|---|---|"]
        lines += [f"| {c} | {r['threshold']:.3f} | {r['corpus']:.3f} | {r['reviewed_positives']} |"
                  for c, r in info["review_thresholds"].items()]
    else:
        lines += ["| code | threshold |", "|---|---|"]
        lines += [f"| {c} | {t:.3f} |" for c, t in zip(clf.classes_, clf.thresholds_, strict=True)]
    lines += ["", "## Scores", "",
              "Development sets are real text nobody on the team wrote; they are never trained on.", ""]
    summary = ["| evaluation | n | macro-F1 | its 95% interval | micro-F1 | mean kappa | its 95% interval "
               "| Krippendorff alpha |", "|---|---|---|---|---|---|---|---|"]
    for name_, s in scores.items():
        ci = {k: f"{low:.2f}-{high:.2f}" for k, (low, high) in s["interval_95"].items()}
        summary.append(f"| {name_} | {s['n']} | {s['macro_f1']:.3f} | {ci.get('macro_f1', 'n/a')} "
                       f"| {s['micro_f1']:.3f} | {s['mean_kappa']:.3f} "
                       f"| {ci.get('mean_kappa', 'n/a')} | {s['krippendorff_alpha']:.3f} |")
    lines += summary + ["", "Intervals: percentile bootstrap over passages (2,000 resamples, fixed seed); a small "
                        "set gives a wide interval.", ""]
    calibrated = [(name_, s["calibration"]) for name_, s in scores.items() if s.get("calibration")]
    if calibrated:
        lines += ["Calibration of the scores over every (passage, code) pair (cross-validation: out-of-fold scores):",
                  "", "| evaluation | Brier score | expected calibration error (10 bins) |", "|---|---|---|"]
        lines += [f"| {name_} | {c['brier']:.3f} | {c['ece']:.3f} |" for name_, c in calibrated]
        lines.append("")
    versus = [(name_, s["minus_baseline_95"]) for name_, s in scores.items() if s.get("minus_baseline_95")]
    if versus:
        lines += ["Model minus the zero-shot baseline on the same passages (95% interval of the difference; "
                  "above zero means the model is better):", ""]
        lines += [f"- {name_}: macro-F1 {d['macro_f1'][0]:+.2f} to {d['macro_f1'][1]:+.2f}, "
                  f"mean kappa {d['mean_kappa'][0]:+.2f} to {d['mean_kappa'][1]:+.2f}" for name_, d in versus]
        lines.append("")
    if any("second coder" in n for n in scores):
        lines += ["Rows named *second coder* score a blind second coder (`corpora/second_coder/`) against the "
                  "same gold: the coder level that the model's row reads against.", ""]
    for name_, s in scores.items():
        if "baseline" in name_ or "second coder" in name_:
            continue
        lines += [f"### {name_}", "", "| code | precision | recall | F1 | kappa | support |",
                  "|---|---|---|---|---|---|"]
        for code, m in s["per_code"].items():
            lines.append(f"| {code} | {m['precision']:.2f} | {m['recall']:.2f} | {m['f1']:.2f} | {m['kappa']:.2f} "
                         f"| {m['support']} |")
        lines.append("")
    lines += ["## Checksums", "", "Checked on every load; a file that does not match is refused.", "",
              "{{CHECKSUMS}}", ""]
    return "\n".join(lines)


def _depth(reader) -> str:
    """How much of MiniLM a reader keeps, when it is not all of it."""
    from ottext.classify.reader import FULL_DEPTH

    return f" (its first {reader.layers} of {FULL_DEPTH} layers)" if reader.layers != FULL_DEPTH else ""


def _reader_lines(clf: CodeClassifier) -> list[str]:
    """What the card says about the fine-tuned reader and the blend."""
    r = clf.reader_
    return [
        f"The final score of each code blends that linear coder ({1 - clf.reader_weight:g}) with a fine-tuned "
        f"reader ({clf.reader_weight:g}): the bundled all-MiniLM-L6-v2{_depth(r)} trained end to end for "
        f"{r.epochs} epochs "
        f"(AdamW, learning rate {r.lr:g} and {r.head_lr:g} for the output layer, batch {r.batch_size}, linear "
        f"warmup over the first {r.warmup:.0%} of steps, seed {r.seed}, word "
        f"embeddings {'frozen' if r.freeze_embeddings else 'trained'}), reading the passage and its context as a "
        f"sentence pair of at most {r.max_length} tokens, mean-pooled over the passage's own tokens, with one "
        "sigmoid output per code. The thresholds are chosen on blended out-of-fold scores: the reader's are "
        f"cross-fitted over {clf.reader_folds} folds. Its weights are stored as float16 safetensors "
        "(`reader.safetensors`), checked tensor by tensor on load."
        + (f" The reader learns soft targets: {1 - clf.reader_soft:g} of the adjudicated codes plus "
           f"{clf.reader_soft:g} of the share of the two blind readings that gave each code "
           "(`corpora/readings/`), so a code the readers disagreed on counts less; the linear coder and the "
           "thresholds learn the adjudicated codes." if clf.reader_soft > 0 else ""),
        "",
    ]

