"""Features for the classifier: TF-IDF of spaCy lemmas (passage and its context) and MiniLM
embeddings (passage and its context), weighted blocks stacked into one sparse matrix."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from ottext.embed import Embedder, embed_texts

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

from ottext.clean.pii import PLACEHOLDER_RE as PLACEHOLDER

TOKEN_PATTERN = r"(?u)\b[a-z][a-z0-9']+\b"
TEXT_TFIDF = {"ngram_range": (1, 2), "min_df": 2, "sublinear_tf": True, "token_pattern": TOKEN_PATTERN,
              "max_features": 20000}
CONTEXT_TFIDF = {"ngram_range": (1, 1), "min_df": 2, "sublinear_tf": True, "token_pattern": TOKEN_PATTERN}


@functools.cache
def _lemmatiser():
    """A blank English pipeline with the lookup lemmatiser: fast and the same everywhere."""
    import warnings

    from ottext.clean._spacy import import_spacy_without_torch

    import_spacy_without_torch()
    import spacy

    nlp = spacy.blank("en")
    try:
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nlp.initialize()
    except (ValueError, ImportError, OSError):
        if "lemmatizer" in nlp.pipe_names:
            nlp.remove_pipe("lemmatizer")
    return nlp


def lemma_texts(texts: list[str]) -> list[str]:
    """Lower-cased lemmas joined by spaces (placeholders become their kind, e.g. ``person``).

    The same lemmas as the blank pipeline's lookup lemmatiser (punctuation and spaces dropped),
    computed from the tokenizer's arrays and a per-word memo instead of spaCy ``Token`` objects.
    Each distinct text is lemmatised once (a survey question is the context of every answer)."""
    from spacy.attrs import IS_PUNCT, IS_SPACE, ORTH

    nlp = _lemmatiser()
    table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup", {}) if "lemmatizer" in nlp.pipe_names \
        else {}
    strings, memo = nlp.vocab.strings, _lemma_memo()
    unique = list(dict.fromkeys(t or "" for t in texts))
    cleaned = [PLACEHOLDER.sub(lambda m: m.group(1).lower(), t) for t in unique]
    lemmas = {}
    for text, doc in zip(unique, nlp.tokenizer.pipe(cleaned, batch_size=1024), strict=True):
        words = []
        for orth, punct, space in doc.to_array([ORTH, IS_PUNCT, IS_SPACE]).tolist() if len(doc) else ():
            if punct or space:
                continue
            word = memo.get(orth)
            if word is None:
                form = strings[orth]
                word = memo[orth] = (table.get(form, form) or form).lower()
            words.append(word)
        lemmas[text] = " ".join(words)
    return [lemmas[t or ""] for t in texts]


@functools.cache
def _lemma_memo() -> dict[int, str]:
    """Lemma by word hash, filled as words are met (the lookup table never changes)."""
    return {}


def _vectoriser(params: dict) -> TfidfVectorizer:
    from sklearn.feature_extraction.text import TfidfVectorizer  # only to fit: loading scikit-learn takes ~1 s

    return TfidfVectorizer(**{k: tuple(v) if isinstance(v, list) else v for k, v in params.items()})


class FittedTfidf:
    """A fitted vocabulary and idf applied as scikit-learn's ``TfidfVectorizer.transform`` applies
    them with the settings used here (lower-case, token pattern, word n-grams, sublinear tf, idf,
    l2 norm), without importing scikit-learn; tested to give the same matrix."""

    def __init__(self, params: dict, vocabulary: dict[str, int], idf: np.ndarray) -> None:
        self.params = params
        self.vocabulary_ = vocabulary
        self.idf_ = np.asarray(idf, dtype=np.float64)
        self._token = re.compile(params["token_pattern"])
        low, high = params.get("ngram_range", (1, 1))
        self._sizes = range(low, high + 1)

    def _features(self, doc: str) -> list[str]:
        tokens = self._token.findall(doc.lower())
        return [" ".join(tokens[i:i + n]) for n in self._sizes for i in range(len(tokens) - n + 1)]

    def transform(self, docs: list[str]) -> sparse.csr_matrix:
        indptr, indices, values = [0], [], []
        vocabulary = self.vocabulary_
        for doc in docs:
            counts: dict[int, int] = {}
            for feature in self._features(doc):
                j = vocabulary.get(feature)
                if j is not None:
                    counts[j] = counts.get(j, 0) + 1
            for j in sorted(counts):
                indices.append(j)
                values.append(counts[j])
            indptr.append(len(indices))
        data = np.asarray(values, dtype=np.float64)
        if self.params.get("sublinear_tf"):
            data = np.log(data) + 1.0
        X = sparse.csr_matrix((data, np.asarray(indices, dtype=np.int64), np.asarray(indptr, dtype=np.int64)),
                              shape=(len(docs), len(self.idf_)))
        X = X @ sparse.diags(self.idf_)
        norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sparse.csr_matrix(sparse.diags(1.0 / norms) @ X)

    def get_feature_names_out(self) -> np.ndarray:
        names = np.empty(len(self.vocabulary_), dtype=object)
        for term, j in self.vocabulary_.items():
            names[j] = term
        return names


class FeatureBuilder:
    """Turns (texts, contexts, embeddings) into one feature matrix; fit learns the vocabularies.

    Blocks: TF-IDF of passage lemmas, TF-IDF of context lemmas, the passage embedding, the context
    embedding, and the passage's cosine similarity to each code's description (a zero-shot prior
    that carries over to wording the training corpus never used).
    """

    def __init__(self, lexical_weight: float = 1.0, context_weight: float = 0.6,
                 embedding_weight: float = 1.0, context_embedding_weight: float = 0.5,
                 code_similarity_weight: float = 2.0) -> None:
        self.lexical_weight = lexical_weight
        self.context_weight = context_weight
        self.embedding_weight = embedding_weight
        self.context_embedding_weight = context_embedding_weight
        self.code_similarity_weight = code_similarity_weight

    def fit(self, texts: list[str], contexts: list[str], code_embeddings: np.ndarray | None = None) -> FeatureBuilder:
        self.code_embeddings_ = (np.asarray(code_embeddings, dtype=np.float32) if code_embeddings is not None
                                 else np.zeros((0, 0), dtype=np.float32))
        self.text_vec_ = _vectoriser(TEXT_TFIDF).fit(lemma_texts(texts))
        ctx = lemma_texts(contexts)
        self.context_vec_ = _vectoriser(CONTEXT_TFIDF)
        try:
            self.context_vec_.fit(ctx)
        except ValueError:  # no context words at all
            self.context_vec_ = None
        return self

    def transform(self, texts: list[str], contexts: list[str], text_emb: np.ndarray,
                  context_emb: np.ndarray) -> sparse.csr_matrix:
        blocks = [self.text_vec_.transform(lemma_texts(texts)) * self.lexical_weight]
        if self.context_vec_ is not None:
            blocks.append(self.context_vec_.transform(lemma_texts(contexts)) * self.context_weight)
        blocks.append(sparse.csr_matrix(text_emb * self.embedding_weight))
        blocks.append(sparse.csr_matrix(context_emb * self.context_embedding_weight))
        if self.code_embeddings_.size:
            blocks.append(sparse.csr_matrix((text_emb @ self.code_embeddings_.T) * self.code_similarity_weight))
        return sparse.hstack(blocks, format="csr")

    @property
    def lexical_names(self) -> list[str]:
        """Names of the lexical features, in column order (for explanations)."""
        names = [f"text:{t}" for t in self.text_vec_.get_feature_names_out()]
        if self.context_vec_ is not None:
            names += [f"context:{t}" for t in self.context_vec_.get_feature_names_out()]
        return names

    # safe serialisation: JSON for vocabularies, arrays for idf ---------------------------------
    def to_state(self) -> tuple[dict, dict[str, np.ndarray]]:
        meta = {"weights": [self.lexical_weight, self.context_weight, self.embedding_weight,
                            self.context_embedding_weight, self.code_similarity_weight],
                "text_vocabulary": {k: int(v) for k, v in self.text_vec_.vocabulary_.items()},
                "context_vocabulary": ({k: int(v) for k, v in self.context_vec_.vocabulary_.items()}
                                       if self.context_vec_ is not None else None)}
        arrays = {"text_idf": self.text_vec_.idf_.astype(np.float64), "code_embeddings": self.code_embeddings_}
        if self.context_vec_ is not None:
            arrays["context_idf"] = self.context_vec_.idf_.astype(np.float64)
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict, arrays: dict[str, np.ndarray]) -> FeatureBuilder:
        fb = cls(*meta["weights"])
        fb.code_embeddings_ = arrays["code_embeddings"]
        fb.text_vec_ = FittedTfidf(TEXT_TFIDF, meta["text_vocabulary"], arrays["text_idf"])
        fb.context_vec_ = None
        if meta.get("context_vocabulary") is not None:
            fb.context_vec_ = FittedTfidf(CONTEXT_TFIDF, meta["context_vocabulary"], arrays["context_idf"])
        return fb


def distinct_contexts(contexts: list[str]) -> list[str]:
    """The contexts ``embed_pair`` embeds, in the order it embeds them."""
    return sorted({c for c in contexts if c})


def embed_pair(embedder: Embedder, texts: list[str], contexts: list[str],
               on_batch: Callable[[int], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Embeddings of the texts and of their contexts (each distinct context embedded once);
    ``on_batch`` hears how many texts each batch embedded."""
    text_emb = embed_texts(embedder, list(texts), on_batch)
    unique = distinct_contexts(contexts)
    ctx_emb = np.zeros((len(contexts), embedder.dim), dtype=np.float32)
    if unique:
        vectors = embed_texts(embedder, unique, on_batch)
        index = {c: i for i, c in enumerate(unique)}
        for i, c in enumerate(contexts):
            if c:
                ctx_emb[i] = vectors[index[c]]
    return text_emb, ctx_emb
