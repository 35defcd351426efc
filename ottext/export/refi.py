"""REFI-QDA exchange: the codebook as ``.qdc``, the coded project as ``.qdpx``, and codebooks back in.

REFI-QDA (www.qdasoftware.org) is the exchange standard read by NVivo, ATLAS.ti, MAXQDA and others.
ottext writes the Codebook (``urn:QDA-XML:codebook:1.0``) and Project (``urn:QDA-XML:project:1.0``)
formats. Every GUID is a uuid5 of ottext ids and no dates are written, so the same store always
gives byte-identical files. A selection's ``startPosition``/``endPosition`` are character offsets
(Unicode code points, 0-based, end exclusive) into the cleaned, redacted document text, which the
``.qdpx`` carries as ``sources/<GUID>.txt`` (UTF-8, no BOM).
"""

from __future__ import annotations

import functools
import hashlib
import html
import io
import json
import logging
import re
import unicodedata
import uuid
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from pathlib import Path

from lxml import etree

from ottext.codebook import Code, Codebook, codebook_from_dict
from ottext.errors import CodebookError, Errors
from ottext.export.files import atomic_write
from ottext.store import Store

log = logging.getLogger(__name__)

CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
PROJECT_NS = "urn:QDA-XML:project:1.0"
GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:ottext:refi-qda")
_NAMESPACE_BYTES = GUID_NAMESPACE.bytes
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
NAME_WORDS = 8
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_SECTIONS = {"include:": "include", "includes:": "include", "exclude:": "exclude", "excludes:": "exclude",
             "examples:": "examples", "example:": "examples"}


def guid(kind: str, key: str) -> str:
    """A deterministic REFI GUID (upper-case 8-4-4-4-12 hex) for an ottext object of ``kind``: the
    name-based UUID 5 of ``kind:key`` (as ``uuid.uuid5`` makes it, without its per-call overhead)."""
    b = bytearray(hashlib.sha1(_NAMESPACE_BYTES + f"{kind}:{key}".encode()).digest()[:16])
    b[6] = (b[6] & 0x0F) | 0x50  # version 5
    b[8] = (b[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = b.hex().upper()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@functools.lru_cache(maxsize=4096)
def code_guid(code_id: str) -> str:
    """The GUID a code gets in every ``.qdc`` and ``.qdpx`` ottext writes."""
    return guid("code", code_id)


def _x(text: object) -> str:
    """Text safe for XML 1.0 (control characters dropped)."""
    return _XML_BAD.sub("", str(text))


def _origin() -> str:
    try:
        return f"ottext {importlib_metadata.version('ottext')}"
    except importlib_metadata.PackageNotFoundError:
        return "ottext"


def _xml_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# codebook ------------------------------------------------------------------------------------
def code_description(code: Code) -> str:
    """The definition, then Include/Exclude/Examples sections with one ``- item`` per line."""
    parts = [code.definition]
    for title, items in (("Include", code.include), ("Exclude", code.exclude), ("Examples", code.examples)):
        if items:
            parts.append(f"{title}:\n" + "\n".join(f"- {item}" for item in items))
    return "\n\n".join(parts)


def _add_codes(parent: etree._Element, codebook: Codebook, ns: str, parent_id: str | None = None) -> None:
    """Code elements in codebook order, each child inside its parent's Code."""
    for code in codebook.codes:
        if code.parent != parent_id:
            continue
        el = etree.SubElement(parent, f"{{{ns}}}Code", guid=code_guid(code.id), name=_x(code.name),
                              isCodable="true")
        etree.SubElement(el, f"{{{ns}}}Description").text = _x(code_description(code))
        _add_codes(el, codebook, ns, code.id)


def write_qdc(codebook: Codebook, path: str | Path) -> Path:
    """Write ``codebook`` alone as a REFI-QDA ``.qdc`` file (atomically); returns the path."""
    root = etree.Element(f"{{{CODEBOOK_NS}}}CodeBook", nsmap={None: CODEBOOK_NS}, origin=_origin())
    _add_codes(etree.SubElement(root, f"{{{CODEBOOK_NS}}}Codes"), codebook, CODEBOOK_NS)
    path = Path(path)
    with atomic_write(path, "wb") as fh:
        fh.write(_xml_bytes(root))
    return path


# project -------------------------------------------------------------------------------------
@dataclass
class _Selection:
    passage_id: str
    start: int
    end: int
    text: str
    codes: list[str]
    user: str


@dataclass
class _Source:
    guid: str
    name: str
    respondent: str | None
    source: str
    metadata: dict[str, str]
    selections: list[_Selection] = field(default_factory=list)


def _natural(text: str) -> list:
    """Sort key that puts R2 before R10."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, t.lower()) for t in re.split(r"(\d+)", text)]


def _source_name(row: dict) -> str:
    parts = [row["source"], row["respondent"] or "", row["context"] or ""]
    return " – ".join(p for p in parts if p)


_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}
NAME_CHARS = 120


def file_safe_name(name: str) -> str:
    """``name`` usable as a file name on Windows, macOS and Linux (QualCoder makes files of source
    names): no ``<>:"/\\|?*`` or control characters, no trailing dot or space, not a reserved
    device name (CON, NUL, COM1 ...), at most NAME_CHARS characters, never empty."""
    safe = " ".join(_UNSAFE.sub(" ", name).split())[:NAME_CHARS].rstrip(". ")
    if not safe:
        return "source"
    if safe.split(".")[0].strip().upper() in _RESERVED:
        safe = f"_{safe}"
    return safe


def _first_words(text: str) -> str:
    words = text.split()
    return " ".join(words[:NAME_WORDS]) + (" …" if len(words) > NAME_WORDS else "")


def _selections_by_document(store: Store, codebook: Codebook, codings: dict[str, dict],
                            users: dict[str, str]) -> dict[str, list[_Selection]]:
    """Coded, not low-content passages with their assigned codes (codebook order), per document."""
    out: dict[str, list[_Selection]] = {}
    for r in store.iter_passages():
        coding = codings.get(r["id"])
        if r["low_content"] or not coding:
            continue
        codes = [cid for cid in codebook.ids if cid in coding["codes"]]
        unknown = sorted(set(coding["codes"]) - set(codes))
        if unknown:
            log.warning("passage %s: codes not in the codebook skipped: %s", r["id"], ", ".join(unknown))
        if codes:
            user = users[coding["model_version"] or "unknown"]
            out.setdefault(r["document_id"], []).append(
                _Selection(r["id"], r["start"], r["end"], r["text"], codes, user))
    return out


def _zip_write(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = 0o644 << 16
    zf.writestr(info, data)


def write_qdpx(store: Store, codebook: Codebook, path: str | Path, project_name: str | None = None) -> Path:
    """Write the coded project as a REFI-QDA ``.qdpx`` (atomically); returns the path.

    The zip holds ``project.qde`` (users, codebook, variables, cases, sources with coded selections)
    and each document's cleaned text as ``sources/<GUID>.txt``. Low-content and uncoded passages get
    no selection; each assigned code is one Coding by the model's user.
    """
    path = Path(path)
    codings = store.codings_by_passage()
    versions = sorted({c["model_version"] or "unknown" for c in codings.values() if c["codes"]})
    users = {v: guid("user", f"model:{v}") for v in versions}
    selections = _selections_by_document(store, codebook, codings, users)
    sources: list[_Source] = []
    used_names: set[str] = set()
    buffer = io.BytesIO()  # many small members: built in memory, where the zip's seeks cost nothing
    with zipfile.ZipFile(buffer, "w") as zf:
        for row in store.iter_documents():
            row = dict(row)
            sguid = guid("source", row["id"])
            text = row["text"]
            _zip_write(zf, f"sources/{sguid}.txt", text.encode("utf-8"))
            base = file_safe_name(_source_name(row))
            name, n = base, 1
            while name.casefold() in used_names:  # Windows and macOS file names ignore case
                n += 1
                name = f"{base} ({n})"
            used_names.add(name.casefold())
            meta = {str(k): str(v) for k, v in json.loads(row["metadata"] or "{}").items() if v not in (None, "")}
            wanted = selections.get(row["id"], [])
            good = [sel for sel in wanted if text[sel.start:sel.end] == sel.text]
            if len(good) < len(wanted):
                log.warning("document %s: %d selections skipped (offsets do not cut the passage text)",
                            row["id"], len(wanted) - len(good))
            sources.append(_Source(sguid, name, row["respondent"], row["source"], meta, good))
        root = _project_xml(codebook, sources, users, project_name or path.stem)
        _zip_write(zf, "project.qde", _xml_bytes(root))
    with atomic_write(path, "wb") as fh:
        fh.write(buffer.getbuffer())
    return path


def _project_xml(codebook: Codebook, sources: list[_Source], users: dict[str, str], name: str) -> etree._Element:
    """The ``project.qde`` tree, elements in the order the Project schema requires."""
    ns = PROJECT_NS

    def sub(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
        return etree.SubElement(parent, f"{{{ns}}}{tag}", **attrs)

    root = etree.Element(f"{{{ns}}}Project", nsmap={None: ns}, name=_x(name), origin=_origin())
    if users:
        root.set("creatingUserGUID", next(iter(users.values())))
        users_el = sub(root, "Users")
        for version, uguid in users.items():
            sub(users_el, "User", guid=uguid, name=_x(f"ottext model {version}"), id=_x(version))
    _add_codes(sub(sub(root, "CodeBook"), "Codes"), codebook, ns)
    variables: dict[str, str] = {}
    for src in sources:
        for key in src.metadata:
            variables.setdefault(key, guid("variable", key))
    if variables:
        vars_el = sub(root, "Variables")
        for key, vguid in variables.items():
            sub(vars_el, "Variable", guid=vguid, name=_x(key), typeOfVariable="Text")
    # Each respondent is a named Case listing its documents as SourceRefs: the schema's form, read by
    # NVivo, ATLAS.ti and MAXQDA. QualCoder's importer reads SourceRefs only in unnamed Cases (as file
    # variables), so its cases arrive without documents. The one form it links (a CodeBook Code with
    # the Case's GUID, coding whole documents) would put a code per respondent into every other tool's
    # codebook, so it is not written; the README's REFI-QDA paragraph states the limit.
    cases = _cases(sources)
    if cases:
        cases_el = sub(root, "Cases")
        seen = Counter(respondent for _, respondent in cases)
        for (source, respondent), members in cases.items():
            label = respondent if seen[respondent] == 1 else f"{respondent} ({source})"
            case_el = sub(cases_el, "Case", guid=guid("case", f"{source}\x1f{respondent}"), name=_x(label))
            values: dict[str, str] = {}
            for src in members:
                for key, value in src.metadata.items():
                    values.setdefault(key, value)
            _add_values(case_el, values, variables, ns)
            for src in members:
                sub(case_el, "SourceRef", targetGUID=src.guid)
    if sources:
        sources_el = sub(root, "Sources")
        for src in sorted(sources, key=lambda s: _natural(s.name)):
            ts = sub(sources_el, "TextSource", guid=src.guid, name=_x(src.name),
                     plainTextPath=f"internal://{src.guid}.txt")
            for sel in src.selections:
                sel_el = sub(ts, "PlainTextSelection", guid=guid("selection", sel.passage_id),
                             name=_x(_first_words(sel.text)), startPosition=str(sel.start),
                             endPosition=str(sel.end), creatingUser=sel.user)
                for cid in sel.codes:
                    coding = sub(sel_el, "Coding", guid=guid("coding", f"{sel.passage_id}/{cid}"),
                                 creatingUser=sel.user)
                    sub(coding, "CodeRef", targetGUID=code_guid(cid))
            if src.respondent is None:
                _add_values(ts, src.metadata, variables, ns)
    return root


def _cases(sources: list[_Source]) -> dict[tuple[str, str], list[_Source]]:
    """Respondents keyed by (source file, respondent id): ids like ``row2`` are only unique per file."""
    cases: dict[tuple[str, str], list[_Source]] = {}
    for src in sources:
        if src.respondent:
            cases.setdefault((src.source, src.respondent), []).append(src)
    return {k: cases[k] for k in sorted(cases, key=lambda k: (_natural(k[0]), _natural(k[1])))}


def _add_values(parent: etree._Element, values: dict[str, str], variables: dict[str, str], ns: str) -> None:
    for key, value in values.items():
        vv = etree.SubElement(parent, f"{{{ns}}}VariableValue")
        etree.SubElement(vv, f"{{{ns}}}VariableRef", targetGUID=variables[key])
        etree.SubElement(vv, f"{{{ns}}}TextValue").text = _x(value)


# import --------------------------------------------------------------------------------------
_STANDARD_RE = re.compile(r"^\s*standard\s*(\d{1,2})\b[\s.:)\-–—]*(.*)$", re.I)
_NUMBERED_RE = re.compile(r"^\s*(\d{1,2})((?:\.\d{1,2})*)(\s*[.:)]\s+|\s+[-–—:]\s+|\s+)(\S.*)$")


def _numbered(name: str) -> tuple[int | None, str]:
    """(standard number, name without the number) for names like '4. Wellbeing' or 'Standard 4: Wellbeing'."""
    m = _STANDARD_RE.match(name)
    if m:
        return int(m.group(1)), m.group(2).strip() or name.strip()
    m = _NUMBERED_RE.match(name)
    if m and (m.group(2) or m.group(3).strip()):  # '24 hour care' is a name, not standard 24
        return int(m.group(1)), m.group(4).strip()
    return None, name.strip()


def _slug(name: str, used: set[str]) -> str:
    """A unique lower_snake_case ASCII id made from a code name."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")
    if len(base) > 48:
        cut = base[:48]
        base = cut.rsplit("_", 1)[0] if base[48] != "_" and "_" in cut else cut
        base = base.strip("_")
    if not base:
        base = "code"
    elif not base[0].isalpha():
        base = f"code_{base}"
    cid, n = base, 1
    while cid in used:
        n += 1
        cid = f"{base}_{n}"
    used.add(cid)
    return cid


def _parse_description(text: str) -> tuple[str, dict[str, list[str]]]:
    """Definition plus any Include/Exclude/Examples sections (as ottext writes them)."""
    if re.search(r"<[a-zA-Z/][^>]*>", text):  # rich-text descriptions from some tools
        text = html.unescape(re.sub(r"<br\s*/?>|</p>", "\n", text, flags=re.I))
        text = re.sub(r"<[^>]+>", "", text)
    definition: list[str] = []
    lists: dict[str, list[str]] = {"include": [], "exclude": [], "examples": []}
    current = "definition"
    for line in text.splitlines():
        s = line.strip()
        if s.lower() in _SECTIONS:
            current = _SECTIONS[s.lower()]
        elif current == "definition":
            definition.append(s)
        elif s[:2] in ("- ", "* ", "• "):
            lists[current].append(s[2:].strip())
        elif s and lists[current]:
            lists[current][-1] += " " + s
        elif s:
            lists[current].append(s)
    return " ".join(" ".join(definition).split()), {k: v for k, v in lists.items() if v}


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _read_root(path: Path) -> etree._Element:
    """The XML root of a ``.qdc``/``.qde`` file or of the ``project.qde`` inside a ``.qdpx``."""
    from ottext.ingest.office import MAX_QDE_MB, read_member

    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                names = [n for n in zf.namelist() if n.lower().endswith(".qde")]
                if not names:
                    raise CodebookError(Errors.E501, file=path, detail="no project.qde in the archive")
                name = "project.qde" if "project.qde" in names else sorted(names, key=len)[0]
                # checked from the zip directory (size, ratio, method), then read a piece at a time, never
                # past the limit whatever the header says; the sources/ parts are never read
                data = read_member(path, zf, name, MAX_QDE_MB, Errors.E501, error=CodebookError)
        else:
            size = path.stat().st_size
            if size > MAX_QDE_MB * 1024 * 1024:
                raise CodebookError(Errors.E501, file=path, detail=f"{size / 1024 / 1024:.0f} MB, over the"
                                    f" {MAX_QDE_MB} MB limit for a codebook or project file")
            data = path.read_bytes()
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError) as exc:
        raise CodebookError(Errors.E501, file=path, detail=str(exc).splitlines()[0] or type(exc).__name__) from None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        detail = (getattr(exc, "msg", None) or str(exc) or "no detail").splitlines()[0]
        raise CodebookError(Errors.E501, file=path, detail=f"malformed XML: {detail}") from None
    if root is None:
        raise CodebookError(Errors.E501, file=path, detail="empty XML document")
    return root


def codebook_from_qdc(path: str | Path) -> Codebook:
    """Read the codebook of a REFI-QDA ``.qdc``, ``.qdpx`` or ``project.qde`` as an ottext Codebook.

    Ids come from code names (lower_snake_case ASCII, made unique), parents from nesting,
    definitions from Description (or the name). Codes named like numbered standards ('4. Wellbeing',
    'Standard 4: Wellbeing') get group 'standard' and that number; all others are themes.
    """
    path = Path(path)
    if not path.is_file():
        raise CodebookError(Errors.E207, file=path)
    root = _read_root(path)
    book = root if _local(root) == "CodeBook" else None
    if _local(root) == "Project":
        book = next((el for el in root if _local(el) == "CodeBook"), None)
        if book is None:
            raise CodebookError(Errors.E503, file=path)
    if book is None:
        raise CodebookError(Errors.E502, file=path, root=_local(root) or "?")
    codes_el = next((el for el in book if _local(el) == "Codes"), None)
    entries: list[dict] = []
    used: set[str] = set()

    def walk(parent: etree._Element, parent_id: str | None) -> None:
        for el in parent:
            if _local(el) != "Code":
                continue
            raw_name = " ".join((el.get("name") or "").split())
            number, name = _numbered(raw_name)
            cid = _slug(name, used)
            desc_el = next((d for d in el if _local(d) == "Description"), None)
            definition, lists = _parse_description("".join(desc_el.itertext()) if desc_el is not None else "")
            entry: dict = {"id": cid, "name": name or cid, "definition": definition or name or cid,
                           "group": "standard" if number is not None else "theme", **lists}
            if number is not None:
                entry["number"] = number
            if parent_id is not None:
                entry["parent"] = parent_id
            entries.append(entry)
            walk(el, cid)

    if codes_el is not None:
        walk(codes_el, None)
    if not entries:
        raise CodebookError(Errors.E503, file=path)
    return codebook_from_dict({"name": path.stem, "version": "1", "codes": entries}, source=str(path))
