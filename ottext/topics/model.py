"""Emergent themes with BERTopic over the project's cached passage embeddings.

Each swappable BERTopic step sits behind its usual slot: the ottext ``Embedder`` behind
BERTopic's embedding backend, PCA in the dimensionality-reduction slot, k-means in the clustering
slot (k chosen by silhouette, so a 20-passage study gets a few topics and never "all outliers"),
a stop-word and lemma vectoriser, and KeyBERT-inspired words with maximal marginal relevance as
the representation. A topic's label is made of phrases of its passages as written (see
``ottext.topics.labels``), not of the lemmas. Everything is seeded, so the same passages give the
same topics.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
from bertopic import BERTopic
from bertopic.backend import BaseEmbedder
from bertopic.representation import KeyBERTInspired, MaximalMarginalRelevance
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer
from sklearn.metrics import silhouette_score

from ottext.classify.features import lemma_texts
from ottext.embed import Embedder
from ottext.topics.labels import topic_labels
from ottext.topics.match import assign, fit_scores

DOMAIN_STOP_WORDS = {
    "ot", "ots", "occupational", "therapist", "therapists", "therapy", "person", "people", "just",
    "really", "thing", "things", "lot", "bit", "erm", "um", "yeah", "like", "think", "know", "say",
    "said", "get", "got", "make", "way", "also", "would", "could", "one", "year", "time", "feel",
    "email", "phone", "url", "postcode", "don", "doesn", "didn", "ve", "ll", "re", "s", "t",
}
STOP_WORDS = sorted(ENGLISH_STOP_WORDS | DOMAIN_STOP_WORDS)
MAX_FIT = 50_000


class BackendEmbedder(BaseEmbedder):
    """BERTopic's embedding slot, filled by any ottext ``Embedder`` (used to embed words)."""

    def __init__(self, embedder: Embedder) -> None:
        super().__init__()
        self.embedder = embedder

    def embed(self, documents, verbose: bool = False) -> np.ndarray:
        return self.embedder.embed(list(documents))


def choose_k(vectors: np.ndarray, random_state: int, max_topics: int) -> int:
    """The number of topics with the best silhouette, within a range that grows with the study."""
    n = len(vectors)
    k_min = max(2, min(5, n // 15))
    k_max = max(k_min, min(max_topics, int(np.sqrt(n)), n - 1))
    if k_max <= 2:
        return 2
    sample = vectors if n <= 5000 else vectors[np.random.default_rng(random_state).choice(n, 5000, replace=False)]
    best_k, best = k_min, -1.0
    for k in range(k_min, k_max + 1):
        labels = KMeans(n_clusters=k, random_state=random_state, n_init=4).fit_predict(sample)
        if len(set(labels)) < 2:
            continue
        score = silhouette_score(sample, labels, metric="cosine")
        if score > best + 1e-6:
            best_k, best = k, score
    return best_k


@dataclass
class TopicInfo:
    id: int
    label: str
    terms: list[str]
    centroid: np.ndarray


class TopicModeller:
    """Fit topics on passages (texts + embeddings); assign new passages to the fitted topics."""

    def __init__(self, embedder: Embedder, max_topics: int = 40, random_state: int = 42, max_fit: int = MAX_FIT):
        self.embedder = embedder
        self.max_topics = max_topics
        self.random_state = random_state
        self.max_fit = max_fit

    def fit(self, ids: list[str], texts: list[str], embeddings: np.ndarray) -> TopicModeller:
        """Fit on at most ``max_fit`` passages (a deterministic sample) and assign all of them:
        ``assignments_`` maps passage id to (index into ``topics_``, its fit score: see ``fit_scores``)."""
        random.seed(self.random_state)
        np.random.seed(self.random_state)
        order = np.argsort(np.array(ids, dtype=object))  # stable order regardless of input order
        ids = [ids[i] for i in order]
        texts = [texts[i] for i in order]
        embeddings = embeddings[order]
        fit_idx = np.arange(len(ids))
        if len(ids) > self.max_fit:
            fit_idx = np.sort(np.random.default_rng(self.random_state).choice(len(ids), self.max_fit, replace=False))
        fit_emb = embeddings[fit_idx]
        n_comp = int(min(20, max(2, len(fit_idx) - 1), fit_emb.shape[1]))
        reduced = PCA(n_components=n_comp, random_state=self.random_state).fit_transform(fit_emb)
        k = choose_k(reduced, self.random_state, self.max_topics)
        docs = lemma_texts([texts[i] for i in fit_idx])
        self.model_ = BERTopic(
            embedding_model=BackendEmbedder(self.embedder),
            umap_model=PCA(n_components=n_comp, random_state=self.random_state),
            hdbscan_model=KMeans(n_clusters=k, random_state=self.random_state, n_init=4),
            vectorizer_model=CountVectorizer(stop_words=STOP_WORDS, ngram_range=(1, 2),
                                             min_df=2 if len(docs) >= 50 else 1,
                                             token_pattern=r"(?u)\b[a-z][a-z]+\b"),
            representation_model=[KeyBERTInspired(top_n_words=15, random_state=self.random_state),
                                  MaximalMarginalRelevance(diversity=0.3, top_n_words=10)],
            top_n_words=10, calculate_probabilities=False, verbose=False,
        )
        fitted = np.array(self.model_.fit_transform(docs, embeddings=fit_emb)[0])
        self.topics_ = self._collect(fitted, fit_emb, [texts[i] for i in fit_idx])
        self.k_ = k
        index = {t.id: i for i, t in enumerate(self.topics_)}
        centroids = np.vstack([t.centroid for t in self.topics_])
        best, _ = assign(embeddings, centroids)
        fitted_at = dict(zip(fit_idx.tolist(), fitted.tolist(), strict=True))
        topic = np.array([index.get(fitted_at.get(i, -2), int(best[i])) for i in range(len(ids))], dtype=int)
        scores = fit_scores(embeddings, centroids, topic)  # fitted passages keep their cluster
        self.assignments_ = {pid: (int(topic[i]), float(scores[i])) for i, pid in enumerate(ids)}
        return self

    def _collect(self, labels: np.ndarray, emb: np.ndarray, texts: list[str]) -> list[TopicInfo]:
        found = sorted(set(int(x) for x in labels) - {-1})
        terms = [[w for w, _ in (self.model_.get_topic(t) or []) if w] for t in found]
        names = topic_labels([[x for x, lab in zip(texts, labels.tolist(), strict=True) if lab == t] for t in found],
                             terms, STOP_WORDS)
        out = []
        for t, words, name in zip(found, terms, names, strict=True):
            centroid = emb[labels == t].mean(axis=0)
            centroid = centroid / (np.linalg.norm(centroid) or 1.0)
            out.append(TopicInfo(t, name, words, centroid.astype(np.float32)))
        return out

