"""A model folder edited by hand, with its card's checksums rewritten to match, is refused on load
with one line naming the file and the problem (and `ottext code --model` exits 1 with that line),
never a TypeError deep inside, NaN scores, or a huge array read into memory."""

from __future__ import annotations

import io
import json
import re
import shutil
import struct
import zipfile

import numpy as np
import pytest
from conftest import ROOT
from typer.testing import CliRunner

from ottext.classify import validate
from ottext.classify.persist import CHECKSUM_RE, load_model, sha256_file
from ottext.cli import app
from ottext.codebook import load_codebook
from ottext.errors import OttextError

SHIPPED = ROOT / "models"


def shipped_shapes(name: str) -> dict[str, tuple[int, ...]]:
    """The array shapes of a shipped model, so the tests follow a retrained model's sizes."""
    with np.load(SHIPPED / name / "weights.npz", allow_pickle=False) as npz:
        return {k.removesuffix(".npy"): npz[k].shape for k in npz.files}


SHAPES = shipped_shapes("ottext-lga-minilm")
N, WIDTH = SHAPES["coef"]
ROWS, DIM = SHAPES["train_embeddings"]
N_TEXT, N_CONTEXT = SHAPES["text_idf"][0], SHAPES["context_idf"][0]
STATIC_ROWS, STATIC_DIM = shipped_shapes("ottext-lga-static")["train_embeddings"]
WEIGHTS_MB = (SHIPPED / "ottext-lga-minilm" / "weights.npz").stat().st_size / 1e6


@pytest.fixture(scope="module")
def codebook():
    return load_codebook()


@pytest.fixture
def folder(tmp_path):
    """A copy of the shipped model that the test tampers with."""
    return shutil.copytree(SHIPPED / "ottext-lga-minilm", tmp_path / "model")


def reseal(folder):
    """Rewrite the card's sha256 lines to match the (tampered) files, as a tamperer would."""
    card = folder / "model_card.md"
    text = CHECKSUM_RE.sub(lambda m: m.group(0).replace(m["sha"], sha256_file(folder / m["name"])),
                           card.read_text(encoding="utf-8"))
    card.write_text(text, encoding="utf-8")


def edit_json(folder, change):
    meta = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    change(meta)
    (folder / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    reseal(folder)


def edit_arrays(folder, change):
    with np.load(folder / "weights.npz", allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    change(arrays)
    with open(folder / "weights.npz", "wb") as fh:
        np.savez_compressed(fh, **arrays)
    reseal(folder)


def npy_bytes(arr, version=None) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, version=version, allow_pickle=True)
    return buf.getvalue()


def npy_header_only(shape, dtype="<f4") -> bytes:
    """A .npy header that declares ``shape`` with no data after it."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buf.getvalue()


def add_member(folder, name, data: bytes, patch=None):
    """Rewrite weights.npz with one more (or a replaced) member; ``patch`` edits its central
    directory record (bytes) to make claims the data does not back."""
    path = folder / "weights.npz"
    with zipfile.ZipFile(path) as zf:
        members = [(i.filename, zf.read(i)) for i in zf.infolist() if i.filename != name]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for n, d in [*members, (name, data)]:
            zf.writestr(n, d)
    if patch:
        raw = bytearray(path.read_bytes())
        record = raw.rfind(b"PK\x01\x02")  # the last member's central directory record
        patch(raw, record)
        path.write_bytes(bytes(raw))
    reseal(folder)


def refused(folder, codebook, match, embedder=None, backend="minilm"):
    """The loader raises one line matching ``match`` naming the folder; the CLI prints that line."""
    with pytest.raises(OttextError, match=match) as err:
        load_model(folder, codebook, embedder)
    message = str(err.value)
    assert "\n" not in message and str(folder) in message
    src = folder.parent / "in.csv"
    src.write_text("id,text\n1,My supervision gets cancelled every month\n", encoding="utf-8")
    out = folder.parent / "out.jsonl"
    res = CliRunner().invoke(app, ["code", str(src), "--out", str(out), "--model", str(folder),
                                   "--backend", backend])
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit), res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ottext: ") and "internal error" not in lines[0], lines
    assert "Traceback" not in res.output and not out.exists()
    return message


def test_untampered_copy_still_loads(folder, codebook):
    clf, meta = load_model(folder, codebook)
    assert clf.coef_.shape[0] == len(codebook.ids) and meta["version"].startswith("model-")


# weights.npz: member names, read from the zip directory before any array ---------------------------
def test_weights_with_an_extra_huge_member_are_refused_before_any_array_is_read(folder, codebook, monkeypatch):
    add_member(folder, "payload.npy", npy_header_only((800_000_000,)))  # declares 3.2 GB
    monkeypatch.setattr(np.lib.format, "read_array", lambda *a, **k: pytest.fail("an array was read"))
    with pytest.raises(OttextError, match=r"weights\.npz: arrays do not match the model "
                                          r"\(unexpected: 'payload\.npy'; missing: none\)"):
        load_model(folder, codebook)


def test_weights_with_an_extra_small_member_are_refused(folder, codebook):
    edit_arrays(folder, lambda a: a.update(extra=np.zeros(3)))
    refused(folder, codebook, r"unexpected: 'extra\.npy'; missing: none")


def test_weights_missing_a_member_are_refused(folder, codebook):
    edit_arrays(folder, lambda a: a.pop("intercept"))
    refused(folder, codebook, r"unexpected: none; missing: 'intercept'")


def test_weights_with_a_member_not_named_npy_are_refused(folder, codebook):
    add_member(folder, "coef", npy_bytes(np.zeros(3)))
    refused(folder, codebook, r"unexpected: 'coef'; missing: none")


def test_weights_with_context_idf_but_no_context_vocabulary_are_refused(folder, codebook):
    edit_json(folder, lambda m: m["features"].update(context_vocabulary=None))
    refused(folder, codebook, r"unexpected: 'context_idf\.npy'; missing: none")


def test_weights_with_a_duplicated_member_are_refused(folder, codebook):
    path = folder / "weights.npz"
    with zipfile.ZipFile(path, "a") as zf, pytest.warns(UserWarning, match="Duplicate name"):
        zf.writestr("coef.npy", npy_bytes(np.zeros(3)))
    reseal(folder)
    refused(folder, codebook, r"not a readable weights archive \(member 'coef\.npy' appears more than once\)")


def test_weights_that_are_not_a_zip_are_refused(folder, codebook):
    (folder / "weights.npz").write_bytes(b"not a zip archive at all")
    reseal(folder)
    refused(folder, codebook, r"weights\.npz: not a readable weights archive \(BadZipFile")


def test_weights_with_an_encrypted_member_are_refused(folder, codebook):
    def encrypt_flag(raw, record):
        raw[record + 8] |= 0x1
    add_member(folder, "coef.npy", npy_bytes(np.zeros((N, WIDTH))), patch=encrypt_flag)
    refused(folder, codebook, r"member 'coef\.npy' is encrypted")


# sizes: refused from the .npy header or the zip directory, before the data is read ----------------
def test_member_whose_header_declares_3_gb_is_refused_unread(folder, codebook, monkeypatch):
    add_member(folder, "train_embeddings.npy", npy_header_only((2_000_000, 400)))  # 3.2 GB of float32
    monkeypatch.setattr(np.lib.format, "read_array", lambda *a, **k: pytest.fail("an array was read"))
    with pytest.raises(OttextError, match=r"array 'train_embeddings' has shape \(2000000, 400\), 3052 MB, "
                                          r"over the 512 MB limit for one array"):
        load_model(folder, codebook)


def test_member_whose_zip_entry_declares_3_gb_is_refused_unread(folder, codebook):
    def claim_3_gb(raw, record):
        raw[record + 24:record + 28] = struct.pack("<I", 3_200_000_000)
    add_member(folder, "coef.npy", npy_bytes(np.zeros((N, WIDTH))), patch=claim_3_gb)
    refused(folder, codebook, r"array 'coef' is 3052 MB uncompressed, over the 512 MB limit")


def test_member_whose_header_and_data_disagree_is_refused(folder, codebook):
    add_member(folder, "intercept.npy", npy_header_only((13,), "<f8") + b"\0" * 8)
    refused(folder, codebook, r"array 'intercept' holds 8 bytes of data but its header's shape \(13,\) needs 104")


def test_model_file_over_the_size_limit_is_refused_before_hashing(folder, codebook, monkeypatch):
    limit = max(1, int(WEIGHTS_MB) - 1)
    monkeypatch.setattr(validate, "MAX_FILE_MB", limit)
    with pytest.raises(OttextError, match=rf"weights\.npz: file is \d+ MB, over the {limit} MB limit for a model file"):
        load_model(folder, codebook)


def test_member_in_npy_format_3_is_refused(folder, codebook):
    add_member(folder, "intercept.npy", npy_bytes(np.zeros(13), version=(3, 0)))
    refused(folder, codebook, r"array 'intercept' uses \.npy format version 3\.0")


# dtypes -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("dtype", "shown"), [
    (np.complex128, "complex128"), ("<U8", "<U8"), ("S8", "|S8"), (object, "object"),
    ([("a", "<f8"), ("b", "<f8")], "[('a', '<f8'), ('b', '<f8')]"), (bool, "bool"), (np.int64, "int64"),
])
def test_coef_of_a_non_float_dtype_is_refused(folder, codebook, dtype, shown):
    add_member(folder, "coef.npy", npy_bytes(np.zeros((N, WIDTH), dtype=dtype)))
    refused(folder, codebook, re.escape(f"array 'coef' has dtype {shown!r}; it must hold floating-point numbers"))


def test_train_labels_as_floats_are_refused(folder, codebook):
    edit_arrays(folder, lambda a: a.update(train_labels=a["train_labels"].astype(np.float64)))
    refused(folder, codebook, r"array 'train_labels' has dtype 'float64'; it must hold integers \(0 or 1\)")


# shapes -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "shape", "need"), [
    ("coef", (N, WIDTH - 1), rf"\({N}, {WIDTH}\): {N} codes by {N_TEXT} \+ {N_CONTEXT} vocabulary terms"),
    ("coef", (N - 1, WIDTH), rf"\({N}, {WIDTH}\)"),
    ("coef", (N * WIDTH,), rf"\({N}, {WIDTH}\)"),
    ("intercept", (N - 1,), rf"\({N},\), one per code"),
    ("train_labels", (ROWS - 1, N), rf"\({ROWS}, {N}\): one row per training embedding"),
    ("train_labels", (ROWS, N - 1), rf"\({ROWS}, {N}\)"),
    ("text_idf", (N_TEXT - 1,), rf"\({N_TEXT},\), one per text vocabulary term"),
    ("context_idf", (N_CONTEXT + 1,), rf"\({N_CONTEXT},\), one per context vocabulary term"),
    ("code_embeddings", (N, DIM - 1), rf"\({N}, {DIM}\) for {N} codes and {DIM}-dimensional embeddings, or \(0, 0\)"),
    ("train_embeddings", (ROWS,), r"\(passages, embedding dimension\)"),
])
def test_array_of_the_wrong_shape_is_refused(folder, codebook, name, shape, need):
    dtype = np.int8 if name == "train_labels" else np.float64
    edit_arrays(folder, lambda a: a.update({name: np.zeros(shape, dtype=dtype)}))
    refused(folder, codebook, rf"array '{name}' has shape .*, but the model needs {need}")


def test_embedding_dimension_other_than_the_embedders_is_refused(tmp_path, codebook):
    """A static (256-d) model relabelled as a MiniLM (384-d) one: refused, not a matmul error."""
    folder = shutil.copytree(SHIPPED / "ottext-lga-static", tmp_path / "model")
    from ottext.embed import get_embedder

    minilm = get_embedder("minilm")
    edit_json(folder, lambda m: m.update(embedder=minilm.id))
    refused(folder, codebook, rf"array 'train_embeddings' has shape \({STATIC_ROWS}, {STATIC_DIM}\), but the model "
                              rf"needs \(passages, {minilm.dim}\) for this run's {minilm.dim}-dimensional embeddings",
            embedder=minilm)


# values -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "value"), [
    ("coef", np.nan), ("intercept", np.inf), ("text_idf", -np.inf), ("context_idf", np.nan),
    ("code_embeddings", np.nan), ("train_embeddings", np.inf),
])
def test_weights_holding_nan_or_inf_are_refused(folder, codebook, name, value):
    def poison(a):
        a[name] = a[name].copy()
        a[name].flat[0] = value
    edit_arrays(folder, poison)
    refused(folder, codebook, rf"array '{name}' holds NaN or infinite values")


def test_train_labels_other_than_0_and_1_are_refused(folder, codebook):
    edit_arrays(folder, lambda a: a["train_labels"].__setitem__((0, 0), 7))
    refused(folder, codebook, r"array 'train_labels' holds values other than 0 and 1")


# model.json fields ---------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [float("nan"), 1.5, -0.1, "0.4", None, True])
def test_threshold_that_is_not_a_probability_is_refused(folder, codebook, bad):
    edit_json(folder, lambda m: m["thresholds"].update(barrier=bad))
    refused(folder, codebook, r"model\.json: field 'thresholds'\['barrier'\] must be a probability from 0 to 1")


def test_thresholds_missing_a_code_are_refused(folder, codebook):
    edit_json(folder, lambda m: m["thresholds"].pop("cpd"))
    refused(folder, codebook, r"field 'thresholds' must have one entry per code \(missing: 'cpd'; not codes: none\)")


@pytest.mark.parametrize("bad", [[1.0], [1.0, "x"], [1.0, float("inf")], "1.0 0.5", None])
def test_platt_pair_that_is_not_two_numbers_is_refused(folder, codebook, bad):
    edit_json(folder, lambda m: m["platt"].update(cpd=bad))
    refused(folder, codebook, r"field 'platt'\['cpd'\] must be a pair of finite numbers")


def test_codes_as_a_string_are_refused(folder, codebook):
    edit_json(folder, lambda m: m.update(codes="barrier, cpd"))
    refused(folder, codebook, r"field 'codes' must be a list, not 'barrier, cpd'")


def test_codes_holding_a_number_are_refused(folder, codebook):
    edit_json(folder, lambda m: m["codes"].__setitem__(2, 3))
    refused(folder, codebook, r"field 'codes'\[2\] must be a string, not 3")


def test_codes_reordered_with_the_codebook_hash_kept_are_refused(folder, codebook):
    edit_json(folder, lambda m: m["codes"].reverse())
    refused(folder, codebook, r"field 'codes' does not list the codebook's codes in the codebook's order")


@pytest.mark.parametrize(("key", "bad", "want"), [
    ("C", "1.0", "a positive number"), ("C", 0, "a positive number"), ("cv", 2.5, "a whole number of 2 or more"),
    ("random_state", None, "a whole number"), ("lexical_weight", [1], "a finite number"),
])
def test_params_of_the_wrong_type_are_refused(folder, codebook, key, bad, want):
    edit_json(folder, lambda m: m["params"].update({key: bad}))
    refused(folder, codebook, rf"field 'params'\['{key}'\] must be {want}")


def test_params_with_an_unknown_setting_are_refused(folder, codebook):
    edit_json(folder, lambda m: m["params"].update(penalty="l1"))
    refused(folder, codebook, r"field 'params'\['penalty'\] is not a classifier setting")


@pytest.mark.parametrize("bad", [[1.0, 0.6, 1.0, 0.5], [1.0, 0.6, 1.0, 0.5, "2"], "1 1 1 1 1"])
def test_feature_weights_that_are_not_five_numbers_are_refused(folder, codebook, bad):
    edit_json(folder, lambda m: m["features"].update(weights=bad))
    refused(folder, codebook, r"field 'features'\['weights'\] must be 5 finite numbers")


@pytest.mark.parametrize("bad", ["7", 1.5, -1, N_TEXT])
def test_vocabulary_column_that_is_not_a_column_is_refused(folder, codebook, bad):
    def change(m):
        term = next(iter(m["features"]["text_vocabulary"]))
        m["features"]["text_vocabulary"][term] = bad
    edit_json(folder, change)
    refused(folder, codebook,
            rf"field 'features'\['text_vocabulary'\]\[.*\] must be a column number from 0 to {N_TEXT - 1}")


def test_vocabulary_giving_two_terms_one_column_is_refused(folder, codebook):
    def change(m):
        vocab = m["features"]["text_vocabulary"]
        a, b = list(vocab)[:2]
        vocab[a] = vocab[b]
    edit_json(folder, change)
    refused(folder, codebook, r"field 'features'\['text_vocabulary'\] gives two terms the same column")


def test_vocabulary_as_a_list_is_refused(folder, codebook):
    edit_json(folder, lambda m: m["features"].update(context_vocabulary=["a", "b"]))
    refused(folder, codebook, r"field 'features'\['context_vocabulary'\] must be an object")


def test_train_texts_holding_a_number_are_refused(folder, codebook):
    edit_json(folder, lambda m: m["train_texts"].__setitem__(5, 42))
    refused(folder, codebook, r"field 'train_texts'\[5\] must be a string, not 42")


def test_embedder_as_a_number_is_refused(folder, codebook):
    edit_json(folder, lambda m: m.update(embedder=384))
    refused(folder, codebook, r"field 'embedder' must be a string or null, not 384")


def test_code_fingerprints_as_a_list_are_refused(folder, codebook):
    edit_json(folder, lambda m: m.update(code_fingerprints=["x"]))
    refused(folder, codebook, r"field 'code_fingerprints' must be a JSON object")


def test_missing_field_is_refused(folder, codebook):
    edit_json(folder, lambda m: m.pop("platt"))
    refused(folder, codebook, r"field 'platt' is missing")


def test_model_json_that_is_a_list_is_refused(folder, codebook):
    (folder / "model.json").write_text(json.dumps([{"format": "ottext-classifier/1"}]), encoding="utf-8")
    reseal(folder)
    refused(folder, codebook, r"not an ottext model folder \(model\.json is not a JSON object\)")


def test_model_json_nested_too_deep_is_refused(folder, codebook):
    (folder / "model.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    reseal(folder)
    refused(folder, codebook, r"not an ottext model folder \(model\.json: RecursionError\)")


def test_field_names_from_the_file_stay_on_one_line(folder, codebook):
    edit_json(folder, lambda m: m["params"].update({"evil\nsecond line": 1}))
    message = refused(folder, codebook, r"field 'params'\['evil\\nsecond line'\] is not a classifier setting")
    assert "\n" not in message


# the embedder a model's features were trained on ---------------------------------------------------
def test_model_trained_on_another_backend_reads_with_its_own_embedder(tmp_path, codebook):
    """A model owns its features: one trained on the static backend, loaded in a MiniLM run, gets
    the static embedder (what it was trained on), not MiniLM vectors it cannot read."""
    from ottext.embed import MiniLMEmbedder, StaticEmbedder

    folder = shutil.copytree(SHIPPED / "ottext-lga-static", tmp_path / "model")
    clf, meta = load_model(folder, codebook, MiniLMEmbedder())
    assert isinstance(clf.embedder, StaticEmbedder) and clf.embedder.id == meta["embedder"]


def test_model_trained_on_an_embedder_no_backend_gives_is_refused(folder, codebook):
    from ottext.embed import MiniLMEmbedder

    edit_json(folder, lambda m: m.update(embedder="some-other-encoder@2.0"))
    refused(folder, codebook, r"model was trained on embeddings from some-other-encoder@2\.0, which no installed "
                              r"backend gives \(this run uses minilm-l6-v2@", embedder=MiniLMEmbedder())
