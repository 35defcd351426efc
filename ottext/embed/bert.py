"""A BERT encoder in plain PyTorch for the bundled MiniLM weights (``model.safetensors`` and
``tokenizer.json``), computing what ``transformers.BertModel`` computes for inference.

Importing ``transformers`` to build a ``BertModel`` took about 3.5 s here (it pulls in its generation
utilities and scikit-learn); this takes the ``tokenizers`` and ``safetensors`` libraries it relies on,
and a test checks its sentence vectors against sentence-transformers'.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np


class BertEncoder:
    """Token vectors (last hidden state) of a BERT model stored the Hugging Face way in ``path``."""

    def __init__(self, path: Path, max_length: int, layers: int | None = None) -> None:
        import torch
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        self.config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        if self.config.get("model_type") != "bert" or self.config.get("hidden_act") != "gelu":
            raise ValueError(f"{path}: not a BERT model with GELU activations")
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=max_length)
        self.tokenizer.enable_padding(pad_id=self.config.get("pad_token_id", 0), pad_token="[PAD]")
        # ``layers``: only the first so many transformer layers (a shallower, faster encoder)
        self.layers = min(int(layers or self.config["num_hidden_layers"]), int(self.config["num_hidden_layers"]))
        self.weights = {k: v.to(torch.float32) for k, v in load_file(str(path / "model.safetensors")).items()
                        if not k.startswith("encoder.layer.") or int(k.split(".")[2]) < self.layers}
        self.heads = int(self.config["num_attention_heads"])
        self.eps = float(self.config["layer_norm_eps"])

    def tokenize(self, texts: list[str]):
        """Ids, token types and attention mask, padded to the longest text, as tensors."""
        import torch

        found = self.tokenizer.encode_batch(texts)
        return (torch.tensor(np.array([e.ids for e in found], dtype=np.int64)),
                torch.tensor(np.array([e.type_ids for e in found], dtype=np.int64)),
                torch.tensor(np.array([e.attention_mask for e in found], dtype=np.int64)))

    def __call__(self, ids, types, mask):
        """The last hidden state, shape (texts, tokens, hidden)."""
        import torch
        from torch.nn import functional as F

        w = self.weights

        def linear(x, name):
            return F.linear(x, w[f"{name}.weight"], w[f"{name}.bias"])

        def norm(x, name):
            return F.layer_norm(x, w[f"{name}.weight"].shape, w[f"{name}.weight"], w[f"{name}.bias"], self.eps)

        positions = torch.arange(ids.shape[1]).unsqueeze(0)
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][positions]
             + w["embeddings.token_type_embeddings.weight"][types])
        x = norm(x, "embeddings.LayerNorm")
        n, length, hidden = x.shape
        size = hidden // self.heads
        allowed = mask[:, None, None, :].bool()  # every query may look at the real tokens only
        for i in range(self.layers):
            layer = f"encoder.layer.{i}"

            def split(t):
                return t.view(n, length, self.heads, size).transpose(1, 2)

            q, k, v = (split(linear(x, f"{layer}.attention.self.{part}")) for part in ("query", "key", "value"))
            context = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, scale=1.0 / math.sqrt(size))
            context = context.transpose(1, 2).reshape(n, length, hidden)
            x = norm(linear(context, f"{layer}.attention.output.dense") + x, f"{layer}.attention.output.LayerNorm")
            inner = F.gelu(linear(x, f"{layer}.intermediate.dense"))
            x = norm(linear(inner, f"{layer}.output.dense") + x, f"{layer}.output.LayerNorm")
        return x
