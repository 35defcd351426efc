"""Health-check scores: Likert items turned into a score out of 100 per standard, banded as the
LGA health check does (0-50 low, 51-74 moderate, 75-100 high).

The map (YAML) names which columns belong to which standard; an item can be reversed:

    survey: health_check_survey.csv   # optional: the survey file, relative to the map
    scale: {strongly disagree: 0, disagree: 25, neither agree nor disagree: 50, agree: 75, strongly agree: 100}
    standards:
      safe_workload: [L3_safe_workload]
      more_with_less: [{column: L9_more_with_less_rev, reversed: true}]
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from ottext.errors import Errors, OttextError

DEFAULT_SCALE = {"strongly disagree": 0, "disagree": 25, "neither agree nor disagree": 50, "neutral": 50,
                 "agree": 75, "strongly agree": 100}


def band(score: float) -> str:
    """The LGA bands: 0-50 low, 51-74 moderate, 75-100 high (on the rounded score)."""
    s = round(score)
    return "low" if s <= 50 else "moderate" if s <= 74 else "high"


@dataclass
class StandardScore:
    code: str
    score: float | None
    band: str | None
    items: int
    answers: int
    skipped: int


def load_map(path: Path) -> tuple[dict[str, float], dict[str, list[tuple[str, bool]]]]:
    """The answer scale and, per code, its (column, reversed) items."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else "unreadable"
        raise OttextError(Errors.E601, file=path, detail=detail) from None
    if not isinstance(data, dict) or not isinstance(data.get("standards"), dict) or not data["standards"]:
        raise OttextError(Errors.E601, file=path, detail="needs a 'standards' mapping of code -> columns")
    scale = {str(k).strip().lower(): float(v) for k, v in (data.get("scale") or DEFAULT_SCALE).items()}
    items: dict[str, list[tuple[str, bool]]] = {}
    for code, columns in data["standards"].items():
        if not isinstance(columns, list) or not columns:
            raise OttextError(Errors.E601, file=path, detail=f"standard {code!r} needs a list of columns")
        items[str(code)] = []
        for col in columns:
            if isinstance(col, str):
                items[str(code)].append((col, False))
            elif isinstance(col, dict) and isinstance(col.get("column"), str):
                items[str(code)].append((col["column"], bool(col.get("reversed", False))))
            else:
                raise OttextError(Errors.E601, file=path, detail=f"standard {code!r}: bad item {col!r}")
    return scale, items


def map_survey(map_path: Path) -> Path | None:
    """The survey a map names (``survey:``, relative to the map file), if it names one."""
    try:
        data = yaml.safe_load(map_path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return None
    name = data.get("survey") if isinstance(data, dict) else None
    return (map_path.parent / name) if isinstance(name, str) else None


def health_check_scores(survey: Path | None, map_path: Path, codes: list[str] | None = None) -> list[StandardScore]:
    """Average score out of 100 per standard over every answered item; unknown answers skipped.
    ``survey`` may be None when the map names its survey."""
    scale, items = load_map(map_path)
    survey = survey or map_survey(map_path)
    if survey is None:
        raise OttextError(Errors.E601, file=map_path, detail="no survey given and the map names none (survey: FILE)")
    if codes is not None:
        unknown = [c for c in items if c not in codes]
        if unknown:
            raise OttextError(Errors.E602, file=map_path, code=unknown[0])
    rows = _rows(survey)
    header = set(rows[0]) if rows else set()
    top = max(scale.values())
    out = []
    for code, cols in items.items():
        missing = [c for c, _ in cols if c not in header]
        if missing:
            raise OttextError(Errors.E603, file=map_path, column=missing[0], survey=survey)
        values, skipped = [], 0
        for row in rows:
            for col, reversed_ in cols:
                answer = str(row.get(col, "")).strip().lower()
                if not answer:
                    continue
                if answer not in scale:
                    skipped += 1
                    continue
                v = scale[answer]
                values.append(top - v if reversed_ else v)
        score = sum(values) / len(values) if values else None
        out.append(StandardScore(code, round(score, 1) if score is not None else None,
                                 band(score) if score is not None else None, len(cols), len(values), skipped))
    return out


def _rows(survey: Path) -> list[dict[str, str]]:
    """Every row of the survey as a dict (the Likert columns are not free text, so read raw)."""
    import csv
    import io

    from ottext.ingest._base import decode_text

    if not survey.is_file():
        raise OttextError(Errors.E001, file=survey)
    if survey.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        from ottext.ingest.office import check_zip

        check_zip(survey, bad=Errors.E012, sheets=True).close()
        try:
            ws = load_workbook(survey, read_only=True, data_only=True).worksheets[0]
        except Exception as exc:  # openpyxl raises many types for broken workbooks
            raise OttextError(Errors.E012, file=survey, detail=type(exc).__name__) from None
        values = [["" if v is None else str(v) for v in r] for r in ws.iter_rows(values_only=True)]
        return [dict(zip(values[0], r, strict=False)) for r in values[1:]]
    text = decode_text(survey.read_bytes(), survey)
    return list(csv.DictReader(io.StringIO(text, newline="")))


def to_dicts(scores: list[StandardScore]) -> list[dict]:
    return [asdict(s) for s in scores]


__all__ = ["DEFAULT_SCALE", "StandardScore", "band", "health_check_scores", "load_map", "to_dicts"]
