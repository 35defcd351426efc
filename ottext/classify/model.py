"""The classifier: one calibrated logistic regression per code over lexical and embedding
features, with a threshold per code chosen by cross-validation, following scikit-learn's
conventions (parameters in ``__init__``, learning in ``fit``, learned state in ``attr_``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from ottext.classify.features import FeatureBuilder, embed_pair
from ottext.classify.reader import FULL_DEPTH
from ottext.codebook import Codebook
from ottext.embed import Embedder
from ottext.errors import Errors, OttextError

if TYPE_CHECKING:  # scikit-learn loads only to fit (it takes ~1 s): a saved model predicts without it
    from sklearn.linear_model import LogisticRegression

THRESHOLD_GRID = np.round(np.arange(0.10, 0.91, 0.025), 3)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _f1(y: np.ndarray, pred: np.ndarray) -> float:
    tp = int((y & pred).sum())
    denom = int(y.sum()) + int(pred.sum())
    return 2 * tp / denom if denom else 1.0


def best_threshold(y: np.ndarray, proba: np.ndarray, prefer: float = 0.5) -> float:
    """The grid threshold with the best F1; ties go to the one nearest ``prefer``."""
    scores = [_f1(y.astype(bool), proba >= t) for t in THRESHOLD_GRID]
    best = max(scores)
    ties = [t for t, s in zip(THRESHOLD_GRID, scores, strict=True) if s >= best - 1e-9]
    return float(min(ties, key=lambda t: abs(t - prefer)))


def review_thresholds(corpus: np.ndarray, y: np.ndarray, proba: np.ndarray, decided: np.ndarray | None,
                      prior: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-code thresholds moved toward a reviewer's decisions: for code j with k positive
    decisions, ``w * t_review + (1 - w) * t_corpus`` with ``w = k / (k + prior)``, where
    ``t_review`` best fits the decided (out-of-fold) scores. Returns (thresholds, k per code)."""
    thresholds = np.array(corpus, dtype=np.float64)
    positives = np.zeros(len(thresholds), dtype=np.int64)
    if decided is None:
        return thresholds, positives
    for j in range(len(thresholds)):
        rows = np.asarray(decided[:, j], dtype=bool)
        k = int(y[rows, j].sum())
        if k == 0:
            continue
        own = best_threshold(y[rows, j], proba[rows, j], prefer=float(corpus[j]))
        w = k / (k + prior)
        thresholds[j] = round(w * own + (1 - w) * float(corpus[j]), 4)
        positives[j] = k
    return thresholds, positives


class CodeClassifier:
    """Multi-label coder for a codebook. ``predict_proba`` gives calibrated probabilities with a
    parent never below its child; ``predict`` applies per-code thresholds and the hierarchy."""

    def __init__(self, codebook: Codebook, embedder: Embedder | None = None, C: float = 4.0, cv: int = 5,
                 random_state: int = 0, lexical_weight: float = 1.0, context_weight: float = 0.6,
                 embedding_weight: float = 1.0, context_embedding_weight: float = 0.5,
                 code_similarity_weight: float = 2.0, review_prior: float = 5.0, reader_weight: float = 0.0,
                 reader_epochs: int = 4, reader_folds: int = 2, reader_soft: float = 0.0,
                 reader_layers: int = FULL_DEPTH) -> None:
        self.codebook = codebook
        self.embedder = embedder
        self.C = C
        self.cv = cv
        self.random_state = random_state
        self.lexical_weight = lexical_weight
        self.context_weight = context_weight
        self.embedding_weight = embedding_weight
        self.context_embedding_weight = context_embedding_weight
        self.code_similarity_weight = code_similarity_weight
        self.review_prior = review_prior
        self.reader_weight = reader_weight
        self.reader_epochs = reader_epochs
        self.reader_folds = reader_folds
        self.reader_soft = reader_soft
        self.reader_layers = reader_layers

    # fitting ---------------------------------------------------------------------------------
    def _lr(self) -> LogisticRegression:
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=self.C, solver="liblinear", class_weight="balanced", max_iter=2000)

    def fit(self, texts: list[str], contexts: list[str], y: np.ndarray,
            embeddings: tuple[np.ndarray, np.ndarray] | None = None,
            decided: np.ndarray | None = None, readings: np.ndarray | None = None) -> CodeClassifier:
        """Learn vocabularies, weights, calibration and thresholds from labelled passages.

        ``readings`` (passages x codes, 0 to 1) is the share of blind readings that gave each code;
        with ``reader_soft`` above 0 the reader learns ``(1 - reader_soft) * y + reader_soft *
        readings``, so a code the readers disagreed on is a softer target. The linear coder and the
        thresholds always learn the adjudicated codes ``y``.

        ``decided`` (passages x codes, bool) marks the codes a project's reviewer decided on; each
        code's threshold then moves toward the one that best fits those decisions, by
        ``k / (k + review_prior)`` when k of them are positive."""
        y = np.asarray(y, dtype=np.int8)
        text_emb, ctx_emb = embeddings if embeddings is not None else embed_pair(self._embedder(), texts, contexts)
        code_emb = None
        if self.code_similarity_weight:
            code_emb = self._embedder().embed([c.description() for c in self.codebook.codes])
        self.features_ = FeatureBuilder(self.lexical_weight, self.context_weight, self.embedding_weight,
                                        self.context_embedding_weight, self.code_similarity_weight,
                                        ).fit(texts, contexts, code_emb)
        X = self.features_.transform(texts, contexts, text_emb, ctx_emb)
        self.classes_ = list(self.codebook.ids)
        oof = self._out_of_fold(X, y)
        self.platt_ = np.zeros((len(self.classes_), 2))
        from sklearn.linear_model import LogisticRegression

        for j in range(len(self.classes_)):
            cal = LogisticRegression(C=1e4, solver="lbfgs").fit(oof[:, [j]], y[:, j])
            self.platt_[j] = (cal.coef_[0, 0], cal.intercept_[0])
        oof_proba = _sigmoid(oof * self.platt_[:, 0] + self.platt_[:, 1])
        if self.reader_weight > 0:  # the fine-tuned reader's honest (cross-fitted) scores join the blend
            target = self._reader_target(y, readings)
            oof_proba = self._blend(oof_proba, self._reader_out_of_fold(texts, contexts, target))
            self.reader_ = self._new_reader().fit(texts, contexts, target)
        self.oof_proba_ = self._roll_up_scores(oof_proba)
        self.corpus_thresholds_ = np.array([best_threshold(y[:, j], self.oof_proba_[:, j])
                                            for j in range(len(self.classes_))])
        self.thresholds_, self.review_positives_ = review_thresholds(
            self.corpus_thresholds_, y, self.oof_proba_, decided, self.review_prior)
        self.coef_ = np.zeros((len(self.classes_), X.shape[1]))
        self.intercept_ = np.zeros(len(self.classes_))
        for j in range(len(self.classes_)):
            lr = self._lr().fit(X, y[:, j])
            self.coef_[j], self.intercept_[j] = lr.coef_[0], lr.intercept_[0]
        self.train_embeddings_ = text_emb.astype(np.float16)
        self.train_labels_ = y
        return self

    def _reader_target(self, y: np.ndarray, readings: np.ndarray | None) -> np.ndarray:
        """What the reader learns: the codes, softened toward the blind readings' shares."""
        if readings is None or self.reader_soft <= 0:
            return y
        if readings.shape != y.shape:
            raise ValueError(f"readings has shape {readings.shape}, the labels {y.shape}")
        return ((1.0 - self.reader_soft) * y + self.reader_soft * readings).astype(np.float32)

    def _new_reader(self):
        from ottext.classify.reader import FineTunedReader

        return FineTunedReader(len(self.codebook), epochs=self.reader_epochs, seed=self.random_state,
                               layers=self.reader_layers)

    def _reader_out_of_fold(self, texts: list[str], contexts: list[str], y: np.ndarray) -> np.ndarray:
        """Each passage scored by a reader fine-tuned on the other folds (so thresholds are honest)."""
        from sklearn.model_selection import KFold

        oof = np.zeros(y.shape, dtype=np.float64)
        folds = KFold(n_splits=self.reader_folds, shuffle=True, random_state=self.random_state)
        for train, val in folds.split(texts):
            reader = self._new_reader().fit([texts[i] for i in train], [contexts[i] for i in train], y[train])
            # torch, whatever is installed: the thresholds a rebuild learns must not depend on it
            oof[val] = reader.predict_proba([texts[i] for i in val], [contexts[i] for i in val], runtime="torch")
        return oof

    def _blend(self, lr_proba: np.ndarray, reader_proba: np.ndarray) -> np.ndarray:
        return (1.0 - self.reader_weight) * lr_proba + self.reader_weight * reader_proba

    def _out_of_fold(self, X, y: np.ndarray) -> np.ndarray:
        oof = np.zeros(y.shape, dtype=np.float64)
        from sklearn.model_selection import KFold

        folds = KFold(n_splits=self.cv, shuffle=True, random_state=self.random_state)
        for train, val in folds.split(X):
            for j in range(y.shape[1]):
                if y[train, j].min() == y[train, j].max():
                    oof[val, j] = -10.0 if y[train, j].max() == 0 else 10.0
                    continue
                oof[val, j] = self._lr().fit(X[train], y[train, j]).decision_function(X[val])
        return oof

    # predicting ------------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise OttextError(Errors.E408)

    def _embedder(self) -> Embedder:
        if self.embedder is None:
            from ottext.embed import MiniLMEmbedder

            self.embedder = MiniLMEmbedder()
        return self.embedder

    def transform(self, texts: list[str], contexts: list[str],
                  embeddings: tuple[np.ndarray, np.ndarray] | None = None):
        """The feature matrix for passages."""
        self._check_fitted()
        text_emb, ctx_emb = embeddings if embeddings is not None else embed_pair(self._embedder(), texts, contexts)
        return self.features_.transform(texts, contexts, text_emb, ctx_emb)

    def predict_proba(self, texts: list[str], contexts: list[str],
                      embeddings: tuple[np.ndarray, np.ndarray] | None = None,
                      on_batch: Callable[[int], None] | None = None) -> np.ndarray:
        """Calibrated probabilities, one column per code in codebook order; ``on_batch`` hears how
        many passages each batch scored (the reader's batches, where the model has a reader)."""
        if not texts:
            self._check_fitted()
            return np.zeros((0, len(self.classes_)))
        X = self.transform(texts, contexts, embeddings)
        decision = np.asarray(X @ self.coef_.T) + self.intercept_
        proba = _sigmoid(decision * self.platt_[:, 0] + self.platt_[:, 1])
        if self.reader_weight > 0:
            read = self.reader_.predict_proba(texts, contexts, on_batch=on_batch)
            proba = self._blend(proba, read.astype(np.float64))
        elif on_batch is not None:
            on_batch(len(texts))
        return self._roll_up_scores(proba)

    def predict(self, texts: list[str], contexts: list[str],
                embeddings: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        """0/1 codes: per-code thresholds, then every assigned child brings its parent."""
        return self.decide(self.predict_proba(texts, contexts, embeddings))

    def decide(self, proba: np.ndarray) -> np.ndarray:
        self._check_fitted()
        return self._roll_up_labels((proba >= self.thresholds_).astype(np.int8))

    def _roll_up_scores(self, proba: np.ndarray) -> np.ndarray:
        index = {c: j for j, c in enumerate(self.codebook.ids)}
        for code in self.codebook.codes:
            for parent in self.codebook.ancestors(code.id):
                proba[:, index[parent]] = np.maximum(proba[:, index[parent]], proba[:, index[code.id]])
        return proba

    def _roll_up_labels(self, labels: np.ndarray) -> np.ndarray:
        index = {c: j for j, c in enumerate(self.codebook.ids)}
        for code in self.codebook.codes:
            for parent in self.codebook.ancestors(code.id):
                labels[:, index[parent]] |= labels[:, index[code.id]]
        return labels
