"""The codebook: the single source of code ids, their definitions and their nesting.

A codebook is a YAML file with a ``codes`` list. Each code has an ``id``, ``name``, ``group``
(``standard`` or ``theme``), a ``definition``, ``include``/``exclude`` rules and ``examples``;
a code may name a ``parent``. A child code implies its parent wherever codes are reported
(:meth:`Codebook.roll_up`).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from ottext.errors import CodebookError, Errors

DEFAULT_CODEBOOK = "lga_ot_standards.yaml"
GROUPS = ("standard", "theme")
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Code:
    """One code of a codebook."""

    id: str
    name: str
    definition: str
    group: str = "theme"
    number: int | None = None
    parent: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()

    def description(self) -> str:
        """Definition plus rules, as one text (used for zero-shot baselines and exports)."""
        parts = [f"{self.name}. {self.definition}"]
        if self.include:
            parts.append("Includes: " + "; ".join(self.include) + ".")
        if self.exclude:
            parts.append("Excludes: " + "; ".join(self.exclude) + ".")
        return " ".join(parts)


@dataclass
class Codebook:
    """An ordered set of codes with their hierarchy."""

    name: str
    version: str
    codes: list[Code]
    source: str = "<memory>"
    _by_id: dict[str, Code] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {c.id: c for c in self.codes}

    # lookups ---------------------------------------------------------------------------------
    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.codes]

    def __contains__(self, code_id: object) -> bool:
        return code_id in self._by_id

    def __getitem__(self, code_id: str) -> Code:
        return self._by_id[code_id]

    def __len__(self) -> int:
        return len(self.codes)

    def children(self, code_id: str) -> list[str]:
        return [c.id for c in self.codes if c.parent == code_id]

    def ancestors(self, code_id: str) -> list[str]:
        out: list[str] = []
        parent = self._by_id[code_id].parent
        while parent is not None:
            out.append(parent)
            parent = self._by_id[parent].parent
        return out

    def roll_up(self, code_ids: list[str] | set[str] | tuple[str, ...]) -> list[str]:
        """The codes plus every ancestor, in codebook order (a child implies its parent)."""
        chosen = set(code_ids)
        for cid in list(chosen):
            if cid in self._by_id:
                chosen.update(self.ancestors(cid))
        return [c.id for c in self.codes if c.id in chosen]

    # identity --------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        codes = []
        for c in self.codes:
            d = {k: v for k, v in asdict(c).items() if v not in (None, (), [])}
            for key in ("include", "exclude", "examples"):
                if key in d:
                    d[key] = list(d[key])
            codes.append(d)
        return {"name": self.name, "version": self.version, "codes": codes}

    @property
    def hash(self) -> str:
        """A short hash of the codebook's content (ids, hierarchy and texts)."""
        blob = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()[:16]

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True, width=100)


# loading -------------------------------------------------------------------------------------
def default_codebook_path() -> Path:
    return Path(str(resources.files("ottext.codebooks") / DEFAULT_CODEBOOK))


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Load and validate a codebook file; ``None`` loads the default LGA codebook."""
    path = Path(path) if path is not None else default_codebook_path()
    if not path.is_file():
        raise CodebookError(Errors.E207, file=path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CodebookError(Errors.E201, file=path, detail=detail) from None
    return codebook_from_dict(data, source=str(path))


def codebook_from_dict(data: object, source: str = "<memory>") -> Codebook:
    """Validate a parsed codebook; errors name the file, the code and the field."""
    if not isinstance(data, dict) or not isinstance(data.get("codes"), list) or not data["codes"]:
        raise CodebookError(Errors.E202, file=source)
    codes: list[Code] = []
    seen: set[str] = set()
    for i, raw in enumerate(data["codes"], start=1):
        codes.append(_parse_code(raw, i, source))
        if codes[-1].id in seen:
            raise CodebookError(Errors.E204, file=source, code=codes[-1].id)
        seen.add(codes[-1].id)
    for code in codes:
        if code.parent is not None and code.parent not in seen:
            raise CodebookError(Errors.E205, file=source, code=code.id, parent=code.parent)
    by_id = {c.id: c for c in codes}
    for code in codes:
        hops, parent = 0, code.parent
        while parent is not None:
            hops += 1
            if hops > len(codes):
                raise CodebookError(Errors.E206, file=source, code=code.id)
            parent = by_id[parent].parent
    return Codebook(
        name=str(data.get("name") or Path(source).stem),
        version=str(data.get("version") or "1"),
        codes=codes,
        source=source,
    )


def _parse_code(raw: object, index: int, source: str) -> Code:
    label = raw.get("id") if isinstance(raw, dict) and raw.get("id") else f"#{index}"

    def fail(fld: str, problem: str) -> CodebookError:
        return CodebookError(Errors.E203, file=source, code=label, field=fld, problem=problem)

    if not isinstance(raw, dict):
        raise fail("(entry)", "must be a mapping of fields")
    known = {"id", "name", "definition", "group", "number", "parent", "include", "exclude",
             "examples"}
    extra = sorted(set(raw) - known)
    if extra:
        raise fail(extra[0], f"is not a codebook field (fields: {', '.join(sorted(known))})")
    cid = raw.get("id")
    if not isinstance(cid, str) or not _ID_RE.match(cid):
        raise fail("id", "must be lower_snake_case letters, digits and underscores")
    for fld in ("name", "definition"):
        if not isinstance(raw.get(fld), str) or not raw[fld].strip():
            raise fail(fld, "is missing or empty")
    group = raw.get("group", "theme")
    if group not in GROUPS:
        raise fail("group", f"must be one of {', '.join(GROUPS)}, not {group!r}")
    number = raw.get("number")
    if number is not None and (not isinstance(number, int) or isinstance(number, bool)):
        raise fail("number", "must be a whole number")
    parent = raw.get("parent")
    if parent is not None and not isinstance(parent, str):
        raise fail("parent", "must be a code id")
    lists: dict[str, tuple[str, ...]] = {}
    for fld in ("include", "exclude", "examples"):
        value = raw.get(fld) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(fld, "must be a list of strings")
        lists[fld] = tuple(v.strip() for v in value)
    return Code(id=cid, name=raw["name"].strip(), definition=" ".join(raw["definition"].split()),
                group=group, number=number, parent=parent, **lists)
