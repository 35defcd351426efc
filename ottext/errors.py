"""One catalogue of the messages ottext shows a researcher.

Every problem a user can cause (a bad file, a malformed codebook, a missing model) is raised as
an :class:`OttextError` built from a template here, so the CLI can print it as one clear line and
tests can check which error was raised. The pattern follows spaCy's ``Errors`` catalogue.
"""

from __future__ import annotations

from pathlib import Path


class Errors:
    """Message templates. ``{file}`` is always the path the problem is about."""

    # ingest (E0xx)
    E001 = "{file}: no such file or folder"
    E002 = "{file}: unsupported file type '{suffix}' (ottext reads {supported})"
    E003 = "{file}: file is empty"
    E004 = "{file}: looks like a binary file, not text ({detail})"
    E005 = ("{file}: file is {size_mb:.1f} MB, over the {limit_mb:.0f} MB limit for {kind} files"
            " (raise it with --max-file-mb)")
    E006 = "{file}: not a valid .docx ({detail})"
    E007 = "{file}: PDF has no text layer (scanned images?); run OCR first, e.g. `ocrmypdf in.pdf out.pdf`"
    E008 = "{file}: PDF is encrypted; save an unencrypted copy and try again"
    E009 = "{file}: not a readable PDF ({detail})"
    E010 = "{file}: no free-text column found (columns: {columns}); name one with --text-column"
    E011 = "{file}: text column '{column}' not found (columns: {columns})"
    E012 = "{file}: not a readable spreadsheet ({detail})"
    E013 = "{file}: has no header row"
    E014 = "{file}: no readable text in the file"
    E015 = "{file}: points outside the input folder ({target}); skipped"
    E016 = "{file}: archive expands to {size_mb:.0f} MB, which looks like a zip bomb; refused"
    E017 = "{file}: could not read ({detail})"
    E018 = "{file}: duplicate of {other} (same content); skipped"
    E019 = "{file}: not a regular file ({detail}); skipped"
    E020 = "{file}: file name is not valid UTF-8; rename the file and try again"
    E021 = "{file}: has a header row but no data rows"
    E022 = "no input could be read: {detail}"  # ``detail`` lists each file with its problem
    # per-line problems (W1xx are warnings: the rest of the file is still read)
    W101 = "{file} line {line}: {detail}; line skipped"
    W102 = "{file} row {line}: {detail}"
    W103 = "{file}: not read; its data was deleted with `ottext forget --source` and stays forgotten"
    W104 = ("{file}: not valid UTF-8 in {count} place(s) (first at byte {offset}); those bytes were replaced"
            " and the rest read as UTF-8")
    # codebook (E2xx)
    E201 = "{file}: codebook is not valid YAML ({detail})"
    E202 = "{file}: codebook must be a mapping with a 'codes' list"
    E203 = "{file}: code '{code}': field '{field}' {problem}"
    E204 = "{file}: code id '{code}' appears more than once"
    E205 = "{file}: code '{code}': parent '{parent}' is not a code in this codebook"
    E206 = "{file}: code '{code}': parents form a cycle"
    E207 = "{file}: no such codebook file"
    # project store (E3xx)
    E301 = "{file}: not an ottext project database ({detail})"
    E302 = "{file}: project was made by a newer ottext (schema {found}, this ottext knows {known})"
    E303 = "{file}: another ottext run is using this project; wait for it to finish"
    E304 = "{file}: no inputs given"
    E305 = "{file}: cannot write ({detail})"
    E306 = ("{file}: project was built with the {used} embedding backend, not {backend}; "
            "use --backend {used} or a new project")
    E307 = "{file}: no project here; run `ottext run` first"
    E308 = "{file}: no respondent {respondent!r} in this project (respondent ids are listed in exports/documents.jsonl)"
    E309 = "{file}: no source {source!r} in this project (sources are listed in exports/manifest.json)"
    E310 = "{file}: not a regular file ({detail}); ottext writes only to a new path or over a regular file"
    E311 = "{file}: no finished run yet, so there is nothing to compare; run `ottext run` first"
    E312 = ("{file}: project was embedded with the {used} MiniLM runtime, not {runtime}; "
            "use --embed-runtime {used} or a new project")
    W301 = ("{file}: a run {state} (started {started}); this output holds only what was finished before it"
            " ({detail})")
    W302 = "{file} row {line}: {detail}; row skipped"

    # classifier (E4xx)
    E401 = "{file} line {line}: {detail}"
    E402 = "{file}: no labelled .jsonl files in this folder"
    E403 = "{file}: passage id {id!r} appears more than once"
    E404 = ("{file}: model was trained with a different codebook (codes only in the model: {model_only};"
            " only in this codebook: {book_only}; changed: {changed})")
    E405 = "{file}: not an ottext model folder ({detail})"
    E406 = "{file}: model file {name} does not match the checksum in its model card (tampered or damaged)"
    E407 = ("{file}: model was trained on embeddings from {model_embedder}, which no installed backend gives "
            "(this run uses {embedder})")
    E408 = "the classifier is not fitted yet; call fit() or load a model first"
    E409 = "{file}: no text column (columns: {columns}); ottext code needs 'text' and optionally 'id' and 'context'"
    E410 = "{file}: field {field} {problem}; the model folder is damaged or was edited"
    E411 = "{file}: not a readable weights archive ({detail})"
    E412 = "{file}: arrays do not match the model (unexpected: {unexpected}; missing: {missing})"
    E413 = "{file}: array '{name}' {problem}; the model folder is damaged or was edited"
    E414 = "{file}: file is {size_mb:.0f} MB, over the {limit_mb:.0f} MB limit for a model file"
    E415 = ("{file}: reader runtime {runtime!r} is not known (known: {known}); set OTTEXT_READER_RUNTIME "
            "to one of them")
    E416 = "{file}: reader runtime 'onnx-int8' needs the onnxruntime and onnx packages, which are not installed"
    E417 = ("{file}: embedding runtime {runtime!r} is not known (known: {known}); set OTTEXT_EMBED_RUNTIME "
            "to one of them")
    E418 = "{file}: embedding runtime 'onnx-int8' needs the onnxruntime and onnx packages, which are not installed"
    # REFI-QDA exchange (E5xx)
    E501 = "{file}: not a readable REFI-QDA file ({detail})"
    E502 = ("{file}: not a REFI-QDA codebook (root element <{root}>; expected a .qdc <CodeBook>"
            " or a .qdpx/.qde <Project> with a <CodeBook>)")
    E503 = "{file}: REFI-QDA file has no codes in its codebook"
    E504 = "{file}: already exists; use --force to overwrite"

    # health-check scores (E6xx)
    E601 = "{file}: not a usable Likert map ({detail})"
    E602 = "{file}: standard {code!r} is not a code of the codebook"
    E603 = "{file}: column {column!r} is not in {survey}"

    # review (E7xx)
    E701 = "{file}: not an ottext review workbook (no passage_id column)"
    E702 = "{file}: column decide:{code} names a code that is not in the codebook"

    # archives and spreadsheet shape (E8xx): refused before anything is inflated or parsed
    E801 = "{file}: {name} inside expands to {size_mb:.0f} MB, over the {limit_mb:.0f} MB limit for one part; refused"
    E802 = "{file}: {name} inside is compressed {ratio:.0f} to 1, which looks like a zip bomb; refused"
    E803 = "{file}: sheet {sheet!r} has {count:,} columns ({where}), over the limit of {limit:,}; refused"
    E804 = "{file}: sheet {sheet!r} has {count:,} rows ({where}), over the limit of {limit:,}; refused"
    E805 = "{file}: sheet {sheet!r} would fill {count:,} cells ({where}), over the limit of {limit:,}; refused"
    W801 = "{file}: {count:,} more problems like these, not listed"

    @staticmethod
    def format(template: str, **fields: object) -> str:
        """Fill a template, turning paths into strings; bytes that are not UTF-8 (a file name from
        another system) are shown as ``\\xNN`` so the message can always be printed and stored."""
        return printable(template.format(**{k: (str(v) if isinstance(v, Path) else v) for k, v in fields.items()}))


def printable(text: str) -> str:
    """``text`` with any lone surrogate (undecodable file-name bytes) written as an escape."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        try:
            return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:
            return text.encode("utf-8", "backslashreplace").decode("utf-8")


class OttextError(Exception):
    """An error a user can act on; ``str(err)`` is one line naming the file and the problem."""

    def __init__(self, template: str, **fields: object) -> None:
        self.template = template
        self.fields = fields
        self.code = next((k for k, v in vars(Errors).items() if v is template), "E000")
        super().__init__(Errors.format(template, **fields))

    @property
    def file(self) -> str:
        return str(self.fields.get("file", ""))


class IngestError(OttextError):
    """A file could not be read; the batch goes on without it."""


class CodebookError(OttextError):
    """A codebook file is malformed."""


class StoreError(OttextError):
    """The project store cannot be opened or written."""
