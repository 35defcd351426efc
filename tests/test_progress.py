"""Stage progress: embedders that tell each batch they finish."""

from __future__ import annotations

import numpy as np
from conftest import FakeEmbedder

from ottext.embed import CachedEmbedder


def test_minilm_tells_each_batch(minilm):
    heard: list[int] = []
    texts = [f"text number {i} about supervision" for i in range(20)] + [""]
    vectors = minilm.embed(texts, on_batch=heard.append)
    assert heard == [1, 16, 4] and vectors.shape == (21, minilm.dim)  # the empty text, then batches of 16


class DictCache:
    def __init__(self) -> None:
        self.vectors: dict = {}

    def get_vectors(self, embedder_id, hashes, dim):
        return {h: self.vectors[h] for h in hashes if h in self.vectors}

    def put_vectors(self, embedder_id, items):
        self.vectors.update(items)


def test_cached_embedder_tells_only_the_texts_it_embeds():
    cached = CachedEmbedder(FakeEmbedder(), DictCache())
    assert cached.uncached(["a b", "c d", "a b"]) == 2
    heard: list[int] = []
    first = cached.embed(["a b", "c d", "a b"], on_batch=heard.append)
    assert heard == [2]  # an embedder without on_batch: told once, when all are done
    again = cached.embed(["a b", "e f"], on_batch=heard.append)
    assert heard == [2, 1] and cached.uncached(["a b", "e f"]) == 0
    assert np.array_equal(first[0], again[0])
