"""``ottext train``, ``ottext code`` and ``ottext evaluate``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    import numpy as np

from ottext.cli._common import fail, print_json, require_project
from ottext.errors import OttextError


def train(
    corpus: Path = typer.Option(None, "--corpus", help="Labelled corpus folder (default corpora/training)."),
    codebook: Path = typer.Option(None, "--codebook", help="Codebook YAML (default: LGA standards)."),
    out: Path = typer.Option(None, "--out", help="Model folder to write (default: ottext-lga-minilm in models/)."),
    dev: list[Path] = typer.Option(None, "--dev", help="Gold .jsonl to score on (repeatable; never trained on)."),
    with_reviews: bool = typer.Option(False, "--with-reviews", help="Add the project's human-reviewed passages."),
    backend: str = typer.Option("minilm", "--backend", help="Embedding backend: minilm or static."),
    project: Path = typer.Option(Path("ottext-project"), "--project", "-p", help="Project (for --with-reviews)."),
    reader_weight: float = typer.Option(0.0, "--reader-weight", min=0.0, max=1.0,
                                        help="Blend in a fine-tuned MiniLM reader with this weight (0: none; "
                                             "minutes of training per thousand passages)."),
    reader_epochs: int = typer.Option(4, "--reader-epochs", min=1, help="Epochs of reader fine-tuning."),
    reader_layers: int = typer.Option(6, "--reader-layers", min=1, max=6,
                                      help="MiniLM layers the reader keeps (fewer: faster coding, see the card)."),
    reader_soft: float = typer.Option(0.0, "--reader-soft", min=0.0, max=1.0,
                                      help="Soften the reader's targets toward the blind readings' shares "
                                           "(0: the adjudicated codes only)."),
    as_json: bool = typer.Option(False, "--json", help="Print the scores as JSON."),
) -> None:
    """Train the classifier (deterministic) and write it with its model card.

    With --with-reviews the model goes to PROJECT/model/, and `ottext run` then uses it there.
    """
    from ottext.classify.locate import default_corpus_dir, default_model_dir
    from ottext.classify.metrics import format_table
    from ottext.classify.train import train_model
    from ottext.codebook import load_codebook
    from ottext.embed import BACKENDS, get_embedder

    if backend not in BACKENDS:
        fail(f"--backend must be one of {', '.join(BACKENDS)}, not {backend!r}", code=2)
    try:
        cb = load_codebook(codebook)
        extra = None
        if with_reviews:
            from ottext.classify.locate import MODEL_NAMES
            from ottext.review import reviewed_passages
            from ottext.store import Store

            require_project(project)
            with Store(project) as store:
                extra = reviewed_passages(store, cb)
            out = out or project / "model" / MODEL_NAMES[backend]
        report = train_model(corpus or default_corpus_dir(), cb, out or default_model_dir(backend),
                             get_embedder(backend),
                             dev_sets={p.stem: p for p in (dev or [])}, extra=extra,
                             params={"reader_weight": reader_weight, "reader_epochs": reader_epochs,
                                     "reader_soft": reader_soft, "reader_layers": reader_layers}
                             if reader_weight > 0 else None)
    except OttextError as exc:
        fail(str(exc))
    if as_json:
        print_json({"version": report.version, "scores": report.scores})
        return
    print(f"Trained {report.version} on {report.n_train} passages ({report.n_test} held out); "
          f"model and card in {report.out_dir}")
    moved = {c: r for c, r in (report.review_thresholds or {}).items() if r["threshold"] != r["corpus"]}
    if report.review_thresholds is not None:
        print("Thresholds moved toward the reviewed passages: " + (", ".join(
            f"{c} {r['corpus']:.2f} -> {r['threshold']:.2f} ({r['reviewed_positives']} with the code)"
            for c, r in moved.items()) or "none") + " (the model card lists every code)")
    for name, scores in report.scores.items():
        print()
        print(format_table(scores, name) if "baseline" not in name else
              f"{name}: macro-F1 {scores['macro_f1']:.3f}, mean kappa {scores['mean_kappa']:.3f}")


def code(
    file: Path = typer.Argument(..., help="Passages to code: .jsonl or .csv with id, text, optional context."),
    out: Path = typer.Option(..., "--out", help="Where to write one JSON line per passage."),
    model: Path = typer.Option(None, "--model", help="Model folder (default: the shipped model)."),
    codebook: Path = typer.Option(None, "--codebook", help="Codebook YAML the model was trained with."),
    explain: bool = typer.Option(False, "--explain", help="Add lexical evidence and nearest training passages."),
    backend: str = typer.Option("minilm", "--backend", help="Embedding backend of the model: minilm or static."),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Code passages without a project."""
    from ottext.classify.coder import code_passages, read_passages
    from ottext.classify.locate import load_default
    from ottext.codebook import load_codebook
    from ottext.errors import Errors
    from ottext.export.files import atomic_write

    if not file.is_file():
        fail(Errors.format(Errors.E001, file=file))
    try:
        items, warnings = read_passages(file)
        clf, meta = load_default(load_codebook(codebook), model, backend=backend)
        coded = code_passages(clf, items, explain=explain, train_texts=meta.get("train_texts"))
    except OttextError as exc:
        fail(str(exc))
    for w in warnings:
        print(f"ottext: skipped: {w}", file=sys.stderr)
    with atomic_write(out, encoding="utf-8") as fh:
        for c in coded:
            row = {"id": c.id, "codes": c.codes, "scores": c.scores, "model_version": meta["version"]}
            if explain:
                row["explanation"] = c.explanation
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    if not quiet:
        print(f"Coded {len(coded)} passages with {meta['version']} -> {out}")


def evaluate(
    gold: Path = typer.Argument(..., help="Gold .jsonl: id, text, codes, optional context."),
    pred: Path = typer.Option(None, "--pred", help="Predictions .jsonl from `ottext code` (default: code now)."),
    model: Path = typer.Option(None, "--model", help="Model folder (default: the shipped model)."),
    codebook: Path = typer.Option(None, "--codebook", help="Codebook YAML."),
    baseline: bool = typer.Option(False, "--baseline", help="Also score the zero-shot baseline."),
    backend: str = typer.Option("minilm", "--backend", help="Embedding backend of the model: minilm or static."),
    as_json: bool = typer.Option(False, "--json", help="Print scores as JSON."),
) -> None:
    """Per-code precision, recall, F1, support and kappa; micro/macro F1; Krippendorff's alpha."""
    import numpy as np

    from ottext.classify.coder import PassageIn, code_passages
    from ottext.classify.coders import coder_level_line, second_coder_scores
    from ottext.classify.data import Labelled, label_matrix, load_labelled
    from ottext.classify.locate import default_corpus_dir, load_default
    from ottext.classify.metrics import agreement, calibration, format_table, paired_difference
    from ottext.codebook import load_codebook

    try:
        cb = load_codebook(codebook)
        items = load_labelled(gold, cb)
        truth = label_matrix(items, cb)
        if pred is not None:
            predicted, proba = _read_predictions(pred, [i.id for i in items], cb)
        else:
            clf, _ = load_default(cb, model, backend=backend)
            coded = code_passages(clf, [PassageIn(i.id, i.text, i.context) for i in items])
            predicted = [c.codes for c in coded]
            proba = np.array([[c.scores[code] for code in cb.ids] for c in coded]).reshape(len(coded), len(cb))
        rows = [Labelled(i.id, i.text, codes=cb.roll_up(p)) for i, p in zip(items, predicted, strict=True)]
        y_pred = label_matrix(rows, cb)
        results = {"model": agreement(truth, y_pred, cb.ids)}
        if proba is not None:
            results["model"]["calibration"] = calibration(truth, proba)
        if baseline:
            y_base = _baseline_labels(cb, items, default_corpus_dir(), backend)
            results["zero-shot baseline"] = agreement(truth, y_base, cb.ids)
            results["model minus baseline"] = {"interval_95": paired_difference(truth, y_pred, y_base)}
        coders = second_coder_scores(items, cb)
    except OttextError as exc:
        fail(str(exc))
    if as_json:
        print_json({**results, **({"coder level": coders} if coders else {})})
        return
    for name, scores in results.items():
        if "per_code" in scores:
            print(format_table(scores, f"{gold.name}: {name}"))
        elif ci := scores["interval_95"]:  # none for very large gold files
            print(f"{gold.name}: model minus baseline, 95% bootstrap interval of the difference (same resamples): "
                  f"macro-F1 {ci['macro_f1'][0]:+.2f} to {ci['macro_f1'][1]:+.2f}, "
                  f"mean kappa {ci['mean_kappa'][0]:+.2f} to {ci['mean_kappa'][1]:+.2f}")
        print()
    if coders:
        print(f"{gold.name}: {coder_level_line(coders)}")


def _read_predictions(path: Path, ids: list[str], cb) -> tuple[list[list[str]], np.ndarray | None]:
    """Codes per gold id from an `ottext code` file, and its scores when every line has all of them."""
    import numpy as np

    from ottext.errors import Errors

    by_id, scores = {}, {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            raise OttextError(Errors.E401, file=path, line=n, detail="not valid JSON") from None
        by_id[str(rec.get("id"))] = [c for c in rec.get("codes", []) if c in cb]
        given = rec.get("scores")
        if isinstance(given, dict) and all(isinstance(given.get(c), int | float) for c in cb.ids):
            scores[str(rec.get("id"))] = [float(given[c]) for c in cb.ids]
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise OttextError(Errors.E401, file=path, line=0, detail=f"no prediction for gold id {missing[0]!r}")
    proba = np.array([scores[i] for i in ids]) if all(i in scores for i in ids) else None
    return [by_id[i] for i in ids], proba


def _baseline_labels(cb, items, corpus_dir: Path, backend: str = "minilm") -> np.ndarray:
    """The zero-shot baseline's codes for the gold passages (thresholds fitted on the training split)."""
    from ottext.classify.baseline import ZeroShotBaseline
    from ottext.classify.data import label_matrix, load_corpus
    from ottext.embed import get_embedder

    emb = get_embedder(backend)
    train = [i for i in load_corpus(corpus_dir, cb) if i.split == "train"]
    zs = ZeroShotBaseline(cb, emb).fit(emb.embed([i.text for i in train]), label_matrix(train, cb))
    return zs.predict(emb.embed([i.text for i in items]))
