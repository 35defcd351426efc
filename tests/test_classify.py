"""The classifier: fitting, hierarchy, safe persistence, the shipped model, and its commands."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest
import yaml
from conftest import ROOT
from typer.testing import CliRunner

from ottext.classify.coder import read_passages
from ottext.classify.metrics import agreement
from ottext.classify.model import CodeClassifier, review_thresholds
from ottext.classify.persist import load_model, save_model
from ottext.cli import app
from ottext.codebook import codebook_from_dict, load_codebook
from ottext.errors import OttextError

MODEL = ROOT / "models" / "ottext-lga-minilm"


def tiny_codebook():
    return codebook_from_dict({"codes": [
        {"id": "workload", "name": "Workload", "definition": "caseloads"},
        {"id": "wellbeing", "name": "Wellbeing", "definition": "staff wellbeing"},
        {"id": "kit", "name": "Kit", "definition": "IT and desks", "parent": "wellbeing"},
    ]})


TINY = [
    ("too many cases on my caseload", ["workload"]), ("the waiting list keeps growing", ["workload"]),
    ("forty open cases and duty too", ["workload"]), ("allocation ignores complex cases", ["workload"]),
    ("I feel exhausted and stressed", ["wellbeing"]), ("morale is very low", ["wellbeing"]),
    ("burnout across the team", ["wellbeing"]), ("stress keeps me awake", ["wellbeing"]),
    ("the laptop crashes daily", ["kit", "wellbeing"]), ("no desk free on office days", ["kit", "wellbeing"]),
    ("the IT system is broken", ["kit", "wellbeing"]), ("hot desks and no phones", ["kit", "wellbeing"]),
    ("lovely weather today", []), ("the client liked the rail", []), ("we met at ten", []), ("thanks", []),
] * 2


def fit_tiny(embedder):
    cb = tiny_codebook()
    y = np.array([[int(c in codes) for c in cb.ids] for _, codes in TINY])
    texts = [t for t, _ in TINY]
    return cb, CodeClassifier(cb, embedder=embedder, cv=2).fit(texts, [""] * len(texts), y)


def test_refuses_to_predict_before_fit(fake_embedder):
    clf = CodeClassifier(tiny_codebook(), embedder=fake_embedder)
    with pytest.raises(OttextError, match="not fitted"):
        clf.predict(["x"], [""])


def test_fit_predict_and_child_implies_parent(fake_embedder):
    cb, clf = fit_tiny(fake_embedder)
    assert clf.classes_ == ["workload", "wellbeing", "kit"]
    proba = clf.predict_proba(["the laptop crashes daily", "forty open cases"], ["", ""])
    assert np.all(proba[:, 1] >= proba[:, 2])  # parent never below its child
    labels = clf.predict(["the laptop crashes daily", "forty open cases and duty too"], ["", ""])
    assert labels[0].tolist() == [0, 1, 1] and labels[1, 0] == 1


def test_save_load_round_trip_is_exact_and_pickle_free(fake_embedder, tmp_path):
    cb, clf = fit_tiny(fake_embedder)
    save_model(clf, tmp_path / "m", {"embedder": fake_embedder.id}, "# card\n\n{{CHECKSUMS}}\n")
    loaded, meta = load_model(tmp_path / "m", cb, fake_embedder)
    texts = ["stress and too many cases", "the IT system is broken"]
    assert np.allclose(clf.predict_proba(texts, ["", ""]), loaded.predict_proba(texts, ["", ""]))
    with np.load(tmp_path / "m" / "weights.npz", allow_pickle=False) as npz:  # loads with pickle off
        assert "coef" in npz.files
    assert meta["version"].startswith("m-")


def test_saved_tfidf_gives_scikit_learns_matrix_without_scikit_learn():
    from sklearn.feature_extraction.text import TfidfVectorizer

    from ottext.classify.features import CONTEXT_TFIDF, TEXT_TFIDF, FittedTfidf, lemma_texts

    texts = [json.loads(line)["text"] for f in sorted((ROOT / "corpora" / "training").glob("*.jsonl"))
             for line in f.read_text(encoding="utf-8").splitlines()]
    odd = ["", "   ", "It's the OT's job: don't!", "caf\u00e9 na\u00efve \u6771\u4eac", "a b c", "x" * 500,
           "the the the the waiting list waiting list"]
    docs = lemma_texts(texts)
    for params in (TEXT_TFIDF, CONTEXT_TFIDF):
        fitted = TfidfVectorizer(**params).fit(docs)
        ours = FittedTfidf(params, {k: int(v) for k, v in fitted.vocabulary_.items()}, fitted.idf_)
        for batch in (docs[:300], lemma_texts(odd)):
            want, got = fitted.transform(batch), ours.transform(batch)
            assert got.shape == want.shape
            assert np.array_equal((got != 0).toarray(), (want != 0).toarray())
            assert np.allclose(got.toarray(), want.toarray(), rtol=1e-12, atol=1e-12)
        assert list(ours.get_feature_names_out()) == list(fitted.get_feature_names_out())


def test_tampered_model_file_is_refused(fake_embedder, tmp_path):
    cb, clf = fit_tiny(fake_embedder)
    save_model(clf, tmp_path / "m", {}, "# card\n\n{{CHECKSUMS}}\n")
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    meta["thresholds"]["workload"] = 0.01
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta))
    with pytest.raises(OttextError, match=r"model file model\.json does not match the checksum"):
        load_model(tmp_path / "m", cb, fake_embedder)


def test_model_from_another_codebook_names_the_differing_codes(fake_embedder, tmp_path):
    cb, clf = fit_tiny(fake_embedder)
    save_model(clf, tmp_path / "m", {}, "# card\n\n{{CHECKSUMS}}\n")
    other = tiny_codebook().to_dict()
    other["codes"][0]["definition"] = "something else"
    other["codes"].append({"id": "pay", "name": "Pay", "definition": "pay"})
    with pytest.raises(OttextError) as err:
        load_model(tmp_path / "m", codebook_from_dict(other), fake_embedder)
    assert "only in this codebook: pay" in str(err.value) and "changed: workload" in str(err.value)


def test_model_on_another_embedder_is_refused(fake_embedder, minilm, tmp_path):
    cb, clf = fit_tiny(fake_embedder)
    save_model(clf, tmp_path / "m", {}, "# card\n\n{{CHECKSUMS}}\n")
    with pytest.raises(OttextError, match="trained on embeddings from fake-hash-64"):
        load_model(tmp_path / "m", cb, minilm)


def test_shipped_model_loads_and_agrees_with_its_card(minilm):
    cb = load_codebook()
    clf, meta = load_model(MODEL, cb, minilm)
    card = (MODEL / "model_card.md").read_text()
    assert f"`{meta['version']}`" in card and cb.hash in card and meta["info"]["training_data_sha256"] in card
    from ottext.classify.data import corpus_hash

    assert meta["info"]["training_data_sha256"] == corpus_hash(ROOT / "corpora" / "training")
    for code, threshold in meta["thresholds"].items():
        assert re.search(rf"\| {code} \| {threshold:.3f} \|", card), code
    proba = clf.predict_proba(["My supervision gets cancelled every month.",
                               "We have had three OT vacancies for a year."], ["", ""])
    assert proba[0, cb.ids.index("supervision")] > 0.5
    assert proba[1, cb.ids.index("workforce_planning")] > 0.5


def test_metrics_known_values():
    y = np.array([[1, 0], [1, 1], [0, 1], [0, 0]])
    perfect = agreement(y, y, ["a", "b"])
    assert perfect["macro_f1"] == 1.0 and perfect["mean_kappa"] == 1.0 and perfect["krippendorff_alpha"] == 1.0
    half = agreement(y, np.array([[1, 0], [0, 1], [0, 1], [1, 0]]), ["a", "b"])
    assert half["per_code"]["a"]["f1"] == pytest.approx(0.5) and half["per_code"]["a"]["kappa"] == pytest.approx(0.0)
    assert half["per_code"]["b"]["f1"] == 1.0


def test_bootstrap_interval_counts_agree_with_scikit_learn_and_widen_on_small_sets():
    from ottext.classify.metrics import _per_code_scores

    rng = np.random.default_rng(1)
    truth = rng.random((60, 4)) < 0.4
    pred = truth ^ (rng.random((60, 4)) < 0.2)  # about one decision in five flipped
    ones = np.ones((1, 60))
    counts = [ones @ (truth & pred), ones @ (~truth & pred), ones @ (truth & ~pred), ones @ (~truth & ~pred)]
    f1, kappa = _per_code_scores(*counts)
    exact = agreement(truth, pred, list("abcd"))
    assert np.allclose(f1[0], [m["f1"] for m in exact["per_code"].values()])
    assert np.allclose(kappa[0], [m["kappa"] for m in exact["per_code"].values()])
    low, high = exact["interval_95"]["macro_f1"]
    assert low < exact["macro_f1"] < high
    big = agreement(np.tile(truth, (10, 1)), np.tile(pred, (10, 1)), list("abcd"))["interval_95"]["macro_f1"]
    assert big[1] - big[0] < (high - low) / 2  # ten times the passages: an interval about a third as wide
    assert agreement(truth, pred, list("abcd"))["interval_95"] == exact["interval_95"]  # fixed seed


def test_bootstrap_in_small_chunks_gives_the_same_interval(monkeypatch):
    from ottext.classify import metrics

    rng = np.random.default_rng(4)
    truth = rng.random((50, 3)) < 0.4
    pred = truth ^ (rng.random((50, 3)) < 0.25)
    whole = metrics.bootstrap_intervals(truth, pred)
    monkeypatch.setattr(metrics, "_BOOTSTRAP_CELLS", 50 * 7)  # seven resamples at a time
    assert metrics.bootstrap_intervals(truth, pred) == whole
    monkeypatch.setattr(metrics, "BOOTSTRAP_MAX_PASSAGES", 40)
    assert metrics.agreement(truth, pred, list("abc"))["interval_95"] == {}  # too many passages: none


def test_calibration_tells_honest_scores_from_overconfident_ones():
    from ottext.classify.metrics import calibration

    rng = np.random.default_rng(3)
    proba = rng.random((4000, 3))
    truth = rng.random((4000, 3)) < proba  # coded with exactly the probability given
    honest = calibration(truth, proba)
    loud = calibration(truth, (proba > 0.5).astype(float) * 0.98 + 0.01)  # the same ranking, said with certainty
    assert honest["ece"] < 0.03 and loud["ece"] > 0.2 and honest["brier"] < loud["brier"]
    assert sum(count for _, _, count in honest["bins"]) == truth.size


def test_paired_difference_is_above_zero_only_for_a_clearly_better_coder():
    from ottext.classify.metrics import paired_difference

    rng = np.random.default_rng(2)
    truth = rng.random((80, 3)) < 0.4
    good = truth ^ (rng.random((80, 3)) < 0.05)
    poor = truth ^ (rng.random((80, 3)) < 0.4)
    assert paired_difference(truth, good, poor)["macro_f1"][0] > 0
    same = paired_difference(truth, good, good)
    assert same["macro_f1"] == [0.0, 0.0] and same["mean_kappa"] == [0.0, 0.0]
    low, high = paired_difference(truth, poor, good)["mean_kappa"]
    assert high < 0


def test_read_passages_bad_lines_get_one_line_each(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"id": "a", "text": "Fine."}\n\n{"id": "b"}\nnot json\n{"id": "c", "text": "Also fine."}\n')
    items, warnings = read_passages(path)
    assert [i.id for i in items] == ["a", "c"]
    assert [w.split(": ", 1)[1] for w in warnings] == [
        "empty line; line skipped", "no 'text' field; line skipped",
        "not valid JSON (Expecting value); line skipped"]
    csv_path = tmp_path / "p.csv"
    csv_path.write_text("id,comment\n1,hello\n")
    with pytest.raises(OttextError, match=r"p\.csv: no text column \(columns: id, comment\)"):
        read_passages(csv_path)


def test_code_and_evaluate_commands(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("id,text,context\n1,My HCPC renewal fee went up again,\n2,,\n"
                   "3,No admin support and the laptop crashes,What gets in the way?\n")
    out = tmp_path / "out.jsonl"
    runner = CliRunner()
    res = runner.invoke(app, ["code", str(src), "--out", str(out), "--explain"])
    assert res.exit_code == 0, res.output
    assert "in.csv line 3: empty 'text'; line skipped" in res.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["1", "3"]
    assert all(set(r["scores"]) == set(load_codebook().ids) for r in rows)
    assert "registration" in rows[0]["codes"]
    assert "environment_resources" in rows[1]["codes"] and "wellbeing" in rows[1]["codes"]
    assert rows[1]["explanation"]["environment_resources"]["nearest_training"]
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"id": "1", "text": "x", "codes": ["registration"]}\n'
                    '{"id": "3", "text": "y", "codes": ["environment_resources", "barrier"]}\n')
    ev = runner.invoke(app, ["evaluate", str(gold), "--pred", str(out), "--json"])
    assert ev.exit_code == 0, ev.output
    scores = json.loads(ev.stdout)["model"]
    assert scores["n"] == 2 and scores["per_code"]["registration"]["recall"] == 1.0
    assert 0 <= scores["calibration"]["brier"] <= 1  # the code file's scores are checked too
    no_scores = tmp_path / "codes_only.jsonl"
    no_scores.write_text('{"id": "1", "codes": ["registration"]}\n{"id": "3", "codes": []}\n')
    ev = runner.invoke(app, ["evaluate", str(gold), "--pred", str(no_scores), "--json"])
    assert ev.exit_code == 0 and "calibration" not in json.loads(ev.stdout)["model"]


def test_codebook_with_unknown_code_in_gold_is_one_line(tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"id": "1", "text": "x", "codes": ["pay"]}\n')
    res = CliRunner().invoke(app, ["evaluate", str(gold), "--pred", str(gold)])
    assert res.exit_code == 1 and "gold.jsonl line 1: unknown code 'pay'" in res.stderr


def test_review_decisions_move_thresholds_toward_the_project():
    # code 0: a reviewer says yes to scores 0.8-0.9 and no to 0.5-0.7, so 0.725 fits them best;
    # 20 positive decisions give it weight 20/(20+5); code 1 has only negative decisions
    proba = np.zeros((60, 2))
    proba[:20, 0] = np.linspace(0.8, 0.9, 20)
    proba[20:40, 0] = np.linspace(0.5, 0.7, 20)
    proba[40:, 0] = 0.95  # labelled positive but never decided: the corpus rows, ignored
    y = np.zeros((60, 2), dtype=np.int8)
    y[:20, 0] = 1
    decided = np.zeros((60, 2), dtype=bool)
    decided[:40] = True
    corpus = np.array([0.3, 0.4])
    thresholds, positives = review_thresholds(corpus, y, proba, decided, prior=5.0)
    assert positives.tolist() == [20, 0]
    assert thresholds[0] == pytest.approx(0.8 * 0.725 + 0.2 * 0.3, abs=1e-4) and thresholds[1] == 0.4
    few = decided.copy()
    few[2:20, 0] = False  # two positive decisions barely move it
    moved_a_little = review_thresholds(corpus, y, proba, few, prior=5.0)[0][0]
    assert moved_a_little == pytest.approx(2 / 7 * 0.725 + 5 / 7 * 0.3, abs=1e-4)
    assert review_thresholds(corpus, y, proba, None, prior=5.0)[0].tolist() == [0.3, 0.4]


def test_train_command_writes_a_loadable_model(tmp_path, fake_embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    with open(corpus / "tiny.jsonl", "w") as fh:
        for n, (text, codes) in enumerate(TINY):
            fh.write(json.dumps({"id": f"t{n}", "text": text, "codes": codes}) + "\n")
    cb_path = tmp_path / "cb.yaml"
    cb_path.write_text(yaml.safe_dump(tiny_codebook().to_dict()))
    from ottext.classify.train import train_model

    report = train_model(corpus, tiny_codebook(), tmp_path / "model", fake_embedder, params={"cv": 2})
    assert (tmp_path / "model" / "model_card.md").read_text().count("| workload |") >= 2
    again = train_model(corpus, tiny_codebook(), tmp_path / "again", fake_embedder, params={"cv": 2})
    assert again.version.split("-")[-1] == report.version.split("-")[-1]  # deterministic: the same model
    for name in ("weights.npz", "model.json"):
        assert (tmp_path / "again" / name).read_bytes() == (tmp_path / "model" / name).read_bytes(), name
    clf, _ = load_model(tmp_path / "model", load_codebook(cb_path), fake_embedder)
    assert report.version.startswith("model-") and clf.classes_ == ["workload", "wellbeing", "kit"]
    shutil.rmtree(tmp_path / "model")


def test_second_coder_files_cover_the_gold_passages_with_codebook_codes(shared):
    cb = load_codebook()
    gold = {json.loads(line)["id"] for name in ("real_dev", "seeds_gold")
            for line in (shared / "gold" / f"{name}.jsonl").read_text().splitlines() if line.strip()}
    for name in ("coder_a", "coder_b"):
        path = ROOT / "corpora" / "second_coder" / f"{name}.jsonl"
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        assert {r["id"] for r in rows} == gold and len(rows) == len(gold), name
        assert all(set(r) == {"id", "codes"} and set(r["codes"]) <= set(cb.ids) for r in rows), name


def test_evaluate_reports_the_coder_level_beside_the_model(shared, tmp_path):
    gold = shared / "gold" / "real_dev.jsonl"
    res = CliRunner().invoke(app, ["evaluate", str(gold), "--pred", str(ROOT / "corpora" / "second_coder" /
                                                                      "coder_b.jsonl"), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    level = out["coder level"]
    assert set(level) == {"second coder A", "second coder B"}
    # coder B scored as the prediction equals coder B in the coder-level rows: the same scoring path
    assert level["second coder B"]["macro_f1"] == pytest.approx(out["model"]["macro_f1"])
    text = CliRunner().invoke(app, ["evaluate", str(gold), "--pred", str(ROOT / "corpora" / "second_coder" /
                                                                       "coder_a.jsonl")]).stdout
    assert "real_dev.jsonl: coder level on these passages (blind second coders): second coder A" in text
    # a gold file the second coders did not code gets no coder-level line (never a partial comparison)
    other = tmp_path / "other.jsonl"
    other.write_text('{"id": "dev-000", "text": "x", "codes": []}\n{"id": "new-1", "text": "y", "codes": []}\n')
    preds = tmp_path / "p.jsonl"
    preds.write_text('{"id": "dev-000", "codes": []}\n{"id": "new-1", "codes": []}\n')
    res = CliRunner().invoke(app, ["evaluate", str(other), "--pred", str(preds), "--json"])
    assert res.exit_code == 0 and "coder level" not in json.loads(res.stdout)
