"""The human review loop: a review spreadsheet out, coders' decisions in, agreement measured.

Decisions are stored as codings from ``coder:NAME`` beside the model's; they override the model
in every export and survive later runs and retrains (only the model's codings are ever replaced).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ottext.classify.confidence import codes_right_probability
from ottext.codebook import Codebook
from ottext.errors import Errors, OttextError
from ottext.export.files import atomic_write, check_output_path, safe_cell
from ottext.store import Store

UNCERTAIN = (0.25, 0.75)
YES = {"1", "yes", "y", "true", "x"}
NO = {"0", "no", "n", "false"}


def review_rows(store: Store, codebook: Codebook, uncertain: bool = False) -> list[dict]:
    """Coded passages with the codes in force and the model's scores; ``uncertain`` keeps only
    passages where some code's score lies between 0.25 and 0.75."""
    codings = store.codings_by_passage()
    rows = []
    for p in store.iter_passages():
        coding = codings.get(p["id"])
        if coding is None:
            continue
        scores = coding["scores"]
        if uncertain and not any(UNCERTAIN[0] <= (scores.get(c) or 0) <= UNCERTAIN[1] for c in codebook.ids):
            continue
        codes = codebook.roll_up(coding["codes"])
        chance = codes_right_probability(np.array([[scores.get(c) or 0.0 for c in codebook.ids]]),
                                         np.array([[c in codes for c in codebook.ids]]))[0]
        rows.append({"passage_id": p["id"], "document": p["source"], "respondent": p["respondent"] or "",
                     "context": p["context"], "text": p["text"], "codes": ";".join(codes),
                     "chance_codes_right": round(float(chance), 3),
                     **{f"score:{c}": scores.get(c) for c in codebook.ids}})
    # the review queue: passages whose codes are most likely wrong first (reading order breaks ties)
    rows.sort(key=lambda r: r["chance_codes_right"])
    return rows


def export_review(store: Store, codebook: Codebook, path: Path, uncertain: bool = False) -> int:
    """Write the review workbook: one row per passage, most likely wrong first (the chance that its
    whole set of codes is right, in ``chance_codes_right``), an empty ``decide:CODE`` column per
    code (1 = the code applies, 0 = it does not, blank = leave the model's decision) and a note."""
    from openpyxl import Workbook

    check_output_path(Path(path))  # before the workbook is built: refuse a link, device or FIFO up front
    rows = review_rows(store, codebook, uncertain)
    columns = ["passage_id", "document", "respondent", "context", "text", "codes", "chance_codes_right"]
    columns += [f"decide:{c}" for c in codebook.ids] + ["note"] + [f"score:{c}" for c in codebook.ids]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("review")
    ws.append(columns)
    for row in rows:
        ws.append([safe_cell(row.get(c, "")) if row.get(c) is not None else "" for c in columns])
    help_sheet = wb.create_sheet("how to review")
    for line in ("Rows come most likely wrong first: chance_codes_right is the model's estimate that the row's "
                 "whole set of codes is right, so an hour of review from the top corrects the most.",
                 "Put 1 in a decide: column when the code applies, 0 when it does not; leave it blank to keep "
                 "the model's decision (shown in the codes column).",
                 "Then run: ottext review import THIS_FILE --coder YOUR_NAME --project PROJECT"):
        help_sheet.append([line])
    with atomic_write(path, mode="wb") as fh:
        wb.save(fh)
    return len(rows)


MAX_REVIEW_COLUMNS = 1_000  # a review workbook has 7 columns and three per code
MAX_REVIEW_ROWS = 1_048_576  # Excel's own limit
MAX_WARNINGS = 50  # then one line counts the rest


def import_review(store: Store, codebook: Codebook, path: Path, coder: str, run_id: str) -> tuple[int, list[str]]:
    """Store a coder's decisions from a review workbook; returns (decisions, warnings).

    The workbook is checked before openpyxl parses it (zip bombs, sheets wider than
    ``MAX_REVIEW_COLUMNS`` or longer than ``MAX_REVIEW_ROWS``) and then read a row at a time, only
    as wide as its header; at most ``MAX_WARNINGS`` warnings are listed, then one counts the rest."""
    from openpyxl import load_workbook

    from ottext.ingest.office import check_zip

    if not path.is_file():
        raise OttextError(Errors.E001, file=path)
    check_zip(path, bad=Errors.E012, sheets=True, error=OttextError, max_columns=MAX_REVIEW_COLUMNS,
              max_rows=MAX_REVIEW_ROWS, max_cells=None).close()
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for files that are not workbooks
        raise OttextError(Errors.E012, file=path, detail=type(exc).__name__) from None
    rows: list[tuple[str, str, int]] = []
    warnings: list[str] = []
    more = 0

    def warn(line: int, detail: str) -> None:
        nonlocal more
        if len(warnings) < MAX_WARNINGS:
            warnings.append(Errors.format(Errors.W102, file=path, line=line, detail=detail))
        else:
            more += 1

    try:
        ws = wb["review"] if "review" in wb.sheetnames else wb.worksheets[0]
        if (ws.max_column or 0) > MAX_REVIEW_COLUMNS:  # declared; check_zip has already refused it
            raise OttextError(Errors.E803, file=path, sheet=ws.title, count=ws.max_column, where="declared range",
                              limit=MAX_REVIEW_COLUMNS)
        first = next(ws.iter_rows(max_row=1, max_col=MAX_REVIEW_COLUMNS, values_only=True), ())
        header = [str(h or "").strip() for h in first]
        while header and not header[-1]:
            header.pop()
        if "passage_id" not in header:
            raise OttextError(Errors.E701, file=path)
        decide = {i: h[len("decide:"):] for i, h in enumerate(header) if h.startswith("decide:")}
        unknown_codes = sorted(c for c in decide.values() if c not in codebook)
        if unknown_codes:
            raise OttextError(Errors.E702, file=path, code=unknown_codes[0])
        known = {r["id"] for r in store.iter_passages()}
        pid_col = header.index("passage_id")
        for n, row in enumerate(ws.iter_rows(min_row=2, max_col=len(header), values_only=True), start=2):
            if n > MAX_REVIEW_ROWS:
                raise OttextError(Errors.E804, file=path, sheet=ws.title, count=n, where=f"row {n:,}",
                                  limit=MAX_REVIEW_ROWS)
            pid = str(row[pid_col] or "").strip() if pid_col < len(row) else ""
            if not pid:
                continue
            if pid not in known:
                warn(n, f"passage {pid} is not in the project; row skipped")
                continue
            for i, code in decide.items():
                cell = "" if i >= len(row) or row[i] is None else str(row[i]).strip().lower().lstrip("'")
                if cell.endswith(".0"):
                    cell = cell[:-2]
                if not cell:
                    continue
                if cell not in YES | NO:
                    warn(n, f"decide:{code} is {cell[:40]!r}, not 1 or 0; cell skipped")
                    continue
                rows.append((pid, code, int(cell in YES)))
    except OttextError:
        raise
    except Exception as exc:  # a sheet's XML is parsed only now; a broken one must not escape as-is
        raise OttextError(Errors.E012, file=path, detail=type(exc).__name__) from None
    finally:
        wb.close()
    if more:
        warnings.append(Errors.format(Errors.W801, file=path, count=more))
    store.put_human_codings(rows, coder, run_id)
    return len(rows), warnings


def agreement_report(store: Store, codebook: Codebook) -> dict:
    """Cohen's kappa per code and Krippendorff's alpha between each pair of coders and between each
    coder and the model, over the passages and codes both decided."""
    from ottext.classify.metrics import agreement

    humans = store.human_codings()
    model = {pid: set(codebook.roll_up(codes)) for pid, codes in store.model_codes().items()}
    raters = {f"coder:{name}": decisions for name, decisions in sorted(humans.items())}
    out = {}
    names = list(raters)
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]] + [(a, "model") for a in names]
    for a, b in pairs:
        truth, pred = [], []
        for pid, decided in raters[a].items():
            for code, yes in decided.items():
                if b == "model":
                    if pid not in model:
                        continue
                    other = int(code in model[pid])
                else:
                    if code not in raters[b].get(pid, {}):
                        continue
                    other = raters[b][pid][code]
                truth.append((pid, code, yes))
                pred.append(other)
        if not truth:
            continue
        pids = sorted({t[0] for t in truth})
        y_a = np.zeros((len(pids), len(codebook)), dtype=int)
        y_b = np.zeros_like(y_a)
        mask = np.zeros_like(y_a, dtype=bool)
        for (pid, code, yes), other in zip(truth, pred, strict=True):
            i, j = pids.index(pid), codebook.ids.index(code)
            y_a[i, j], y_b[i, j], mask[i, j] = yes, other, True
        scores = agreement(y_a * mask, y_b * mask, codebook.ids)
        out[f"{a} vs {b}"] = {"decisions": len(truth), "passages": len(pids), "mean_kappa": scores["mean_kappa"],
                              "krippendorff_alpha": scores["krippendorff_alpha"],
                              "kappa": {c: m["kappa"] for j, (c, m) in enumerate(scores["per_code"].items())
                                        if mask[:, j].any()}}
    return out



def reviewed_passages(store: Store, codebook: Codebook) -> list:
    """Passages a coder decided on, with the codes in force, as extra training data; they also
    move the project model's thresholds."""
    from ottext.classify.data import Labelled

    codings = store.codings_by_passage()
    reviewed = {pid for decisions in store.human_codings().values() for pid in decisions}
    return [Labelled(id=f"review:{p['id']}", text=p["text"], context=p["context"],
                     codes=codebook.roll_up(codings[p["id"]]["codes"]), voice="reviewed")
            for p in store.iter_passages() if p["id"] in reviewed and p["id"] in codings]
