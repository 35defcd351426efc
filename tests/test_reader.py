"""The fine-tuned reader: refuses to predict unfitted, trains deterministically, saves as
safetensors (float16, no pickle) and loads back to the same scores, blends into the classifier,
and refuses an edited reader file in one line."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_classify import TINY, tiny_codebook

from ottext.classify.model import CodeClassifier
from ottext.classify.persist import load_model, save_model
from ottext.classify.reader import WEIGHTS, FineTunedReader
from ottext.errors import OttextError

TEXTS = [t for t, _ in TINY]
SMALL = {"epochs": 1, "max_length": 24, "batch_size": 8}


def labels(cb):
    return np.array([[int(c in codes) for c in cb.ids] for _, codes in TINY])


@pytest.fixture(scope="module")
def fitted():
    cb = tiny_codebook()
    return cb, FineTunedReader(len(cb), **SMALL).fit(TEXTS, [""] * len(TEXTS), labels(cb))


def test_reader_refuses_to_predict_before_fit():
    with pytest.raises(OttextError, match="not fitted"):
        FineTunedReader(3).predict_proba(["x"])


def test_reader_training_is_deterministic_and_saved_without_pickle(fitted, tmp_path):
    cb, first = fitted
    second = FineTunedReader(len(cb), **SMALL).fit(TEXTS, [""] * len(TEXTS), labels(cb))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first.save(tmp_path / "a")
    second.save(tmp_path / "b")
    assert (tmp_path / "a" / WEIGHTS).read_bytes() == (tmp_path / "b" / WEIGHTS).read_bytes()
    assert (tmp_path / "a" / WEIGHTS).read_bytes()[8:9] == b"{"  # a safetensors header, not a pickle


def test_reader_round_trip_gives_the_same_scores(fitted, tmp_path):
    cb, reader = fitted
    reader.save(tmp_path)
    loaded = FineTunedReader.load(tmp_path, len(cb))
    texts, contexts = ["stress and too many cases", "the IT system is broken"], ["What gets in the way?", ""]
    assert np.array_equal(reader.predict_proba(texts, contexts), loaded.predict_proba(texts, contexts))


def test_classifier_blends_the_reader_and_round_trips(fake_embedder, tmp_path):
    cb = tiny_codebook()
    clf = CodeClassifier(cb, embedder=fake_embedder, cv=2, reader_weight=0.5, reader_epochs=1, reader_folds=2)
    clf.fit(TEXTS, [""] * len(TEXTS), labels(cb))
    assert hasattr(clf, "reader_") and clf.oof_proba_.shape == (len(TEXTS), 3)
    save_model(clf, tmp_path / "m", {"embedder": fake_embedder.id}, "# card\n\n{{CHECKSUMS}}\n")
    assert (tmp_path / "m" / WEIGHTS).is_file() and f"`{WEIGHTS}`" in (tmp_path / "m" / "model_card.md").read_text()
    loaded, _ = load_model(tmp_path / "m", cb, fake_embedder)
    texts = ["stress and too many cases", "the IT system is broken"]
    assert np.allclose(clf.predict_proba(texts, ["", ""]), loaded.predict_proba(texts, ["", ""]))


def _resave(folder, change):
    from safetensors.torch import load_file, save_file

    tensors = load_file(str(folder / WEIGHTS))
    change(tensors)
    save_file(tensors, str(folder / WEIGHTS))


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.update({"extra": t["head.bias"].clone()}), "unexpected: extra"),
    (lambda t: t.pop("head.bias"), "missing: head.bias"),
    (lambda t: t.update({"head.bias": t["head.bias"].float()}), "has dtype torch.float32, not float16"),
    (lambda t: t.update({"head.weight": t["head.weight"][:2].clone()}), "has shape (2, 384), not (3, 384)"),
    (lambda t: t["head.bias"].fill_(float("nan")), "holds NaN or infinite values"),
], ids=["extra", "missing", "dtype", "shape", "nan"])
def test_an_edited_reader_file_is_refused_in_one_line(fitted, tmp_path, edit, message):
    cb, reader = fitted
    reader.save(tmp_path)
    _resave(tmp_path, edit)
    with pytest.raises(OttextError) as exc:
        FineTunedReader.load(tmp_path, len(cb))
    assert message in str(exc.value) and "\n" not in str(exc.value) and WEIGHTS in str(exc.value)


def test_a_reader_file_that_is_not_safetensors_is_refused(fitted, tmp_path):
    cb, reader = fitted
    reader.save(tmp_path)
    (tmp_path / WEIGHTS).write_bytes(b"\x80\x04not a safetensors file")
    with pytest.raises(OttextError, match="not a readable weights archive"):
        FineTunedReader.load(tmp_path, len(cb))


@pytest.mark.parametrize("key, value", [("epochs", "4"), ("n_codes", 9), ("max_length", 100000), ("layers", 9),
                                        ("layers", 0)])
def test_an_edited_reader_config_is_refused(fitted, tmp_path, key, value):
    cb, reader = fitted
    reader.save(tmp_path)
    config = json.loads((tmp_path / "reader.json").read_text())
    config[key] = value
    (tmp_path / "reader.json").write_text(json.dumps(config))
    with pytest.raises(OttextError, match=key):
        FineTunedReader.load(tmp_path, len(cb))


def test_a_shallower_reader_keeps_its_first_layers_and_says_so_in_its_file(fitted, tmp_path):
    cb, full = fitted
    full.save(tmp_path)
    assert "layers" not in json.loads((tmp_path / "reader.json").read_text())  # full depth: the file as before
    shallow = FineTunedReader(len(cb), layers=3, **SMALL).fit(TEXTS, [""] * len(TEXTS), labels(cb))
    assert {k.split(".")[2] for k in shallow.weights_ if k.startswith("encoder.layer.")} == {"0", "1", "2"}
    folder = tmp_path / "shallow"
    folder.mkdir()
    shallow.save(folder)
    assert json.loads((folder / "reader.json").read_text())["layers"] == 3
    again = FineTunedReader.load(folder, len(cb))
    assert again.layers == 3 and again.encoder_.layers == 3
    np.testing.assert_allclose(again.predict_proba(TEXTS[:4]), shallow.predict_proba(TEXTS[:4]), atol=2e-3)


def test_reading_matrix_is_the_share_of_two_blind_readings(tmp_path):
    from ottext.classify.data import Labelled, reading_matrix

    cb = tiny_codebook()
    a, b = cb.ids[0], cb.ids[1]
    (tmp_path / "x_first.jsonl").write_text(json.dumps({"id": "x-1", "codes": [a, b]}) + "\n")
    (tmp_path / "x_second.jsonl").write_text(json.dumps({"id": "x-1", "codes": [a]}) + "\n")
    items = [Labelled("x-1", "t", codes=[a]), Labelled("reviewed-1", "t", codes=[b])]
    got = reading_matrix(items, cb, tmp_path)
    assert got[0].tolist() == [1.0, 0.5, 0.0]  # both readers gave a, one gave b
    assert got[1].tolist() == [0.0, 1.0, 0.0]  # no readings: its own codes


def test_soft_reader_targets_mix_the_codes_with_the_readings(fake_embedder):
    cb = tiny_codebook()
    clf = CodeClassifier(cb, embedder=fake_embedder, reader_weight=0.5, reader_soft=0.5)
    y = np.array([[1, 0, 0], [0, 1, 0]])
    readings = np.array([[0.5, 0.5, 0.0], [0.0, 1.0, 0.0]])
    assert clf._reader_target(y, readings).tolist() == [[0.75, 0.25, 0.0], [0.0, 1.0, 0.0]]
    assert clf._reader_target(y, None) is y  # no readings: the codes themselves
    with pytest.raises(ValueError, match="shape"):
        clf._reader_target(y, readings[:1])


def test_soft_reader_setting_is_saved_with_the_model(fake_embedder, tmp_path):
    cb = tiny_codebook()
    clf = CodeClassifier(cb, embedder=fake_embedder, cv=2, reader_weight=0.5, reader_epochs=1, reader_folds=2,
                         reader_soft=0.5)
    y = labels(cb)
    clf.fit(TEXTS, [""] * len(TEXTS), y, readings=np.clip(y * 0.5 + 0.25, 0, 1))
    save_model(clf, tmp_path, {"embedder": fake_embedder.id}, "# card\n\n{{CHECKSUMS}}\n")
    loaded, meta = load_model(tmp_path, cb, fake_embedder)
    assert meta["params"]["reader_soft"] == 0.5 and loaded.reader_soft == 0.5
