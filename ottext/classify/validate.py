"""Checks on a model folder's contents before any of it is used.

A model card's checksums only show the files are the ones the card describes; a folder whose card
was rewritten after its files were edited passes them. So every field of ``model.json`` is checked
for its type and range, and ``weights.npz`` is read member by member: the names from the zip
directory, then each ``.npy`` header (dtype and shape, hence its size), all before any array data
is read; then the values (finite, probabilities in [0, 1], labels 0 or 1). Each problem is one
:class:`OttextError` naming the file and what is wrong with it."""

from __future__ import annotations

import math
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ottext.errors import Errors, OttextError

MAX_FILE_MB = 1024  # model.json or weights.npz on disk (the shipped files are under 3 MB)
MAX_ARRAY_BYTES = 512 * 2**20  # one array, uncompressed
MAX_TOTAL_BYTES = 1024 * 2**20  # all arrays together, uncompressed
PARAMS = {"C": "positive", "cv": "folds", "random_state": "int", "review_prior": "nonnegative",
          "lexical_weight": "number", "context_weight": "number", "embedding_weight": "number",
          "context_embedding_weight": "number", "code_similarity_weight": "number", "reader_weight": "unit",
          "reader_epochs": "count", "reader_folds": "folds", "reader_soft": "unit", "reader_layers": "count"}
N_FEATURE_WEIGHTS = 5
FLOAT_ARRAYS = ("coef", "intercept", "train_embeddings", "text_idf", "context_idf", "code_embeddings")
LABEL_ARRAYS = ("train_labels",)
_NPY_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
_ARCHIVE_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError)


def show(value: object, limit: int = 40) -> str:
    """A short one-line repr of a value read from a file."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _names(names, limit: int = 5) -> str:
    names = sorted(names)
    if not names:
        return "none"
    shown = ", ".join(show(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


# model.json ----------------------------------------------------------------------------------
class _Meta:
    def __init__(self, model_dir: Path, meta: dict) -> None:
        self.file = model_dir / "model.json"
        self.meta = meta

    def fail(self, field: str, problem: str) -> OttextError:
        return OttextError(Errors.E410, file=self.file, field=field, problem=problem)

    def get(self, field: str, kind: type, optional: bool = False):
        if field not in self.meta:
            if optional:
                return None
            raise self.fail(repr(field), "is missing")
        value = self.meta[field]
        if not isinstance(value, kind):
            raise self.fail(repr(field), f"must be a {_KIND_NAMES[kind]}, not {show(value)}")
        return value

    def strings(self, field: str, value: list) -> None:
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise self.fail(f"{field!r}[{i}]", f"must be a string, not {show(item)}")

    def str_map(self, field: str, value: dict) -> None:
        for key, item in value.items():
            if not isinstance(item, str):
                raise self.fail(f"{field!r}[{key!r}]", f"must be a string, not {show(item)}")

    def per_code(self, field: str, value: dict, codes: list[str]) -> None:
        missing, extra = set(codes) - set(value), set(value) - set(codes)
        if missing or extra:
            raise self.fail(repr(field), f"must have one entry per code (missing: {_names(missing)};"
                                         f" not codes: {_names(extra)})")

    def vocabulary(self, field: str, value: object) -> None:
        if not isinstance(value, dict):
            raise self.fail(f"'features'[{field!r}]", f"must be an object, not {show(value)}")
        for term, j in value.items():
            if not _is_int(j) or not 0 <= j < len(value):
                raise self.fail(f"'features'[{field!r}][{term!r}]",
                                f"must be a column number from 0 to {len(value) - 1}, not {show(j)}")
        if len(set(value.values())) != len(value):
            raise self.fail(f"'features'[{field!r}]", "gives two terms the same column")


_KIND_NAMES = {list: "list", dict: "JSON object", str: "string"}


def check_meta(model_dir: Path, meta: dict) -> None:
    """Every field of ``model.json`` that loading or coding uses has the right type and range."""
    m = _Meta(model_dir, meta)
    codes = m.get("codes", list)
    m.strings("codes", codes)
    if not codes:
        raise m.fail("'codes'", "is empty")
    if len(set(codes)) != len(codes):
        raise m.fail("'codes'", "lists a code more than once")
    m.get("codebook_hash", str)
    m.str_map("code_fingerprints", m.get("code_fingerprints", dict))
    m.str_map("parents", m.get("parents", dict, optional=True) or {})
    if meta.get("embedder") is not None and not isinstance(meta["embedder"], str):
        raise m.fail("'embedder'", f"must be a string or null, not {show(meta['embedder'])}")
    _check_params(m, m.get("params", dict))
    thresholds = m.get("thresholds", dict)
    m.per_code("thresholds", thresholds, codes)
    for code, t in thresholds.items():
        if not _is_number(t) or not 0 <= t <= 1:
            raise m.fail(f"'thresholds'[{code!r}]", f"must be a probability from 0 to 1, not {show(t)}")
    platt = m.get("platt", dict)
    m.per_code("platt", platt, codes)
    for code, ab in platt.items():
        if not (isinstance(ab, list) and len(ab) == 2 and all(_is_number(v) for v in ab)):
            raise m.fail(f"'platt'[{code!r}]", f"must be a pair of finite numbers, not {show(ab)}")
    features = m.get("features", dict)
    weights = features.get("weights")
    if not (isinstance(weights, list) and len(weights) == N_FEATURE_WEIGHTS and all(map(_is_number, weights))):
        raise m.fail("'features'['weights']", f"must be {N_FEATURE_WEIGHTS} finite numbers, not {show(weights)}")
    m.vocabulary("text_vocabulary", features.get("text_vocabulary"))
    if features.get("context_vocabulary") is not None:
        m.vocabulary("context_vocabulary", features["context_vocabulary"])
    for field in ("train_ids", "train_texts"):
        m.strings(field, m.get(field, list, optional=True) or [])
    m.get("info", dict, optional=True)


def _check_params(m: _Meta, params: dict) -> None:
    for key, value in params.items():
        kind = PARAMS.get(key)
        if kind is None:
            raise m.fail(f"'params'[{key!r}]", f"is not a classifier setting (settings: {', '.join(PARAMS)})")
        ok = {"positive": _is_number(value) and value > 0, "nonnegative": _is_number(value) and value >= 0,
              "folds": _is_int(value) and value >= 2, "int": _is_int(value), "number": _is_number(value),
              "unit": _is_number(value) and 0 <= value <= 1, "count": _is_int(value) and value >= 1}[kind]
        if not ok:
            want = {"positive": "a positive number", "nonnegative": "a number of 0 or more",
                    "folds": "a whole number of 2 or more", "int": "a whole number", "number": "a finite number",
                    "unit": "a number from 0 to 1", "count": "a whole number of 1 or more"}
            raise m.fail(f"'params'[{key!r}]", f"must be {want[kind]}, not {show(value)}")


def check_codes(model_dir: Path, meta: dict, codebook_ids: list[str]) -> None:
    """The model's columns are the codebook's codes in the codebook's order."""
    if meta["codes"] != list(codebook_ids):
        raise _Meta(model_dir, meta).fail("'codes'", "does not list the codebook's codes in the codebook's order")


# weights.npz ---------------------------------------------------------------------------------
def expected_arrays(meta: dict) -> set[str]:
    names = {"coef", "intercept", "train_embeddings", "train_labels", "text_idf", "code_embeddings"}
    if meta["features"].get("context_vocabulary") is not None:
        names.add("context_idf")
    return names


def read_weights(model_dir: Path, meta: dict, embed_dim: int | None = None) -> dict[str, np.ndarray]:
    """The arrays of ``weights.npz``, each checked (names, dtypes, shapes, sizes) before it is read
    and (finite values, 0/1 labels) after."""
    path = model_dir / "weights.npz"
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            _check_members(path, [i.filename for i in infos], expected_arrays(meta))
            headers = {i.filename[:-4]: _read_header(path, zf, i) for i in infos}
            total = sum(nbytes for _, _, nbytes in headers.values())
            if total > MAX_TOTAL_BYTES:
                raise OttextError(Errors.E411, file=path, detail=f"its arrays would take {total / 2**20:.0f} MB,"
                                  f" over the {MAX_TOTAL_BYTES / 2**20:.0f} MB limit")
            _check_shapes(path, meta, {k: shape for k, (shape, _, _) in headers.items()}, embed_dim)
            arrays = {}
            for info in infos:
                with zf.open(info) as fp:
                    arrays[info.filename[:-4]] = np.lib.format.read_array(fp, allow_pickle=False)
    except _ARCHIVE_ERRORS as exc:
        raise OttextError(Errors.E411, file=path, detail=f"{type(exc).__name__}: {show(str(exc), 80)}") from None
    _check_values(path, arrays)
    return arrays


def _check_members(path: Path, members: list[str], expected: set[str]) -> None:
    names = [m[:-4] if m.endswith(".npy") else m for m in members]
    if len(set(members)) != len(members):
        dup = {m for m in members if members.count(m) > 1}
        raise OttextError(Errors.E411, file=path, detail=f"member {_names(dup)} appears more than once")
    unexpected = {m for m, n in zip(members, names, strict=True) if n not in expected or not m.endswith(".npy")}
    missing = expected - {n for m, n in zip(members, names, strict=True) if m.endswith(".npy")}
    if unexpected or missing:
        raise OttextError(Errors.E412, file=path, unexpected=_names(unexpected), missing=_names(missing))


def _read_header(path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[tuple[int, ...], np.dtype, int]:
    """(shape, dtype, bytes) from a member's ``.npy`` header; refuses what it cannot hold sensibly."""
    name = info.filename[:-4]

    def bad(problem: str) -> OttextError:
        return OttextError(Errors.E413, file=path, name=name, problem=problem)

    if info.flag_bits & 0x1:
        raise OttextError(Errors.E411, file=path, detail=f"member {info.filename!r} is encrypted")
    if info.file_size > MAX_ARRAY_BYTES + 2**16:
        raise bad(f"is {info.file_size / 2**20:.0f} MB uncompressed, over the {MAX_ARRAY_BYTES / 2**20:.0f} MB"
                  " limit for one array")
    with zf.open(info) as fp:
        version = np.lib.format.read_magic(fp)
        if version not in _NPY_READERS:
            raise bad(f"uses .npy format version {version[0]}.{version[1]}, which ottext does not read")
        shape, _fortran, dtype = _NPY_READERS[version](fp)
        data_start = fp.tell()
    expected_kinds = "f" if name in FLOAT_ARRAYS else "biu"
    if dtype.fields is not None or dtype.subdtype is not None or dtype.kind not in expected_kinds:
        want = "floating-point numbers" if name in FLOAT_ARRAYS else "integers (0 or 1)"
        raise bad(f"has dtype {show(str(dtype))}; it must hold {want}")
    if any(d < 0 for d in shape):
        raise bad(f"has an impossible shape {shape}")
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > MAX_ARRAY_BYTES:
        raise bad(f"has shape {shape}, {nbytes / 2**20:.0f} MB, over the {MAX_ARRAY_BYTES / 2**20:.0f} MB"
                  " limit for one array")
    if info.file_size != data_start + nbytes:
        raise bad(f"holds {info.file_size - data_start} bytes of data but its header's shape {shape}"
                  f" needs {nbytes}")
    return shape, dtype, nbytes


def _check_shapes(path: Path, meta: dict, shapes: dict[str, tuple[int, ...]], embed_dim: int | None) -> None:
    """Each array's shape agrees with ``model.json`` and with the others."""
    def bad(name: str, need: str) -> OttextError:
        return OttextError(Errors.E413, file=path, name=name,
                           problem=f"has shape {shapes[name]}, but the model needs {need}")

    n = len(meta["codes"])
    features = meta["features"]
    n_text = len(features["text_vocabulary"])
    n_context = len(features["context_vocabulary"]) if features.get("context_vocabulary") is not None else 0
    emb = shapes["train_embeddings"]
    if len(emb) != 2 or emb[1] < 1:
        raise bad("train_embeddings", "(passages, embedding dimension)")
    rows, dim = emb
    if embed_dim is not None and dim != embed_dim:
        raise bad("train_embeddings", f"(passages, {embed_dim}) for this run's {embed_dim}-dimensional embeddings")
    code_emb = shapes["code_embeddings"]
    if code_emb not in ((n, dim), (0, 0)):
        raise bad("code_embeddings", f"({n}, {dim}) for {n} codes and {dim}-dimensional embeddings, or (0, 0)")
    similarities = n if code_emb == (n, dim) else 0
    width = n_text + n_context + 2 * dim + similarities
    need = {"coef": ((n, width), f"({n}, {width}): {n} codes by {n_text} + {n_context} vocabulary terms,"
                                 f" 2 x {dim} embedding columns and {similarities} code similarities"),
            "intercept": ((n,), f"({n},), one per code"),
            "train_labels": ((rows, n), f"({rows}, {n}): one row per training embedding, one column per code"),
            "text_idf": ((n_text,), f"({n_text},), one per text vocabulary term")}
    if "context_idf" in shapes:
        need["context_idf"] = ((n_context,), f"({n_context},), one per context vocabulary term")
    for name, (shape, text) in need.items():
        if shapes[name] != shape:
            raise bad(name, text)


def _check_values(path: Path, arrays: dict[str, np.ndarray]) -> None:
    for name, arr in arrays.items():
        if name in FLOAT_ARRAYS and not np.isfinite(arr).all():
            raise OttextError(Errors.E413, file=path, name=name, problem="holds NaN or infinite values")
        if name in LABEL_ARRAYS and not np.isin(arr, (0, 1)).all():
            raise OttextError(Errors.E413, file=path, name=name, problem="holds values other than 0 and 1")


def check_file_sizes(model_dir: Path, names: tuple[str, ...]) -> None:
    """Refuse a model file too large to be a model before reading (or hashing) it."""
    for name in names:
        path = model_dir / name
        if path.is_file() and (size := path.stat().st_size) > MAX_FILE_MB * 2**20:
            raise OttextError(Errors.E414, file=path, size_mb=size / 2**20, limit_mb=MAX_FILE_MB)
