"""Running the trained components in chunks, so a long document needs bounded memory.

spaCy's parser and NER need memory in proportion to a document's length (several GB for a 1 MB
document). ``ottext_trained_in_chunks`` runs the trained components on pieces of at most
``max_tokens`` tokens cut at line breaks, then joins the pieces back into one Doc whose text is
exactly the original (``Doc.from_docs``), keeping ottext's attributes. With ``processes`` > 1 the
pieces of one long document are parsed by that many forked workers (same result, in order), and
``on_chunk(source, done, total)`` hears of each piece finished, so a long job shows its progress.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable

from spacy.language import Language
from spacy.tokens import Doc

from ottext.clean.retokenize import TEXT_KEY

MAX_TOKENS = 20_000


def split_points(doc: Doc, max_tokens: int) -> list[int]:
    """Token indices to cut at: the last line break before each limit (or the limit itself)."""
    cuts, start = [], 0
    while len(doc) - start > max_tokens:
        limit = start + max_tokens
        cut = next((i + 1 for i in range(limit - 1, start, -1)
                    if "\n" in doc[i].whitespace_ or "\n" in doc[i].text), limit)
        cuts.append(cut)
        start = cut
    return cuts


@Language.factory("ottext_trained_in_chunks", default_config={"max_tokens": MAX_TOKENS})
def make_trained_in_chunks(nlp: Language, name: str, max_tokens: int) -> TrainedInChunks:
    return TrainedInChunks(max_tokens)


class TrainedInChunks:
    """Pipeline component: holds the trained components (set ``pipes``) and runs them chunk-wise."""

    def __init__(self, max_tokens: int = MAX_TOKENS, processes: int = 1,
                 on_chunk: Callable[[str, int, int], None] | None = None) -> None:
        self.max_tokens = max_tokens
        self.processes = processes
        self.on_chunk = on_chunk
        self.pipes: list[tuple[str, object]] = []

    def _run(self, doc: Doc) -> Doc:
        for _, pipe in self.pipes:
            doc = pipe(doc)
        return doc

    def pipe(self, docs, batch_size: int = 64):
        """Batched: short documents go through each trained component's own ``pipe`` together
        (the models are fast on batches, slow one by one); long ones are chunked."""
        from spacy.util import minibatch

        for batch in minibatch(docs, size=batch_size):
            short = [d for d in batch if len(d) <= self.max_tokens]
            for _, pipe in self.pipes:
                short = list(pipe.pipe(short, batch_size=batch_size)) if hasattr(pipe, "pipe") else \
                    [pipe(d) for d in short]
            done = iter(short)
            for d in batch:
                yield next(done) if len(d) <= self.max_tokens else self(d)

    def __call__(self, doc: Doc) -> Doc:
        if len(doc) <= self.max_tokens:
            return self._run(doc)
        bounds = [0, *split_points(doc, self.max_tokens), len(doc)]
        spans = list(zip(bounds, bounds[1:], strict=False))
        document = doc.user_data.get("ottext_document")
        source = getattr(document, "source", "document")
        parts = self._run_parts(doc, spans, source)
        merged = Doc.from_docs(parts, ensure_whitespace=False)
        merged.user_data.update(doc.user_data)
        merged.user_data.pop(TEXT_KEY, None)
        return merged

    def _run_parts(self, doc: Doc, spans: list[tuple[int, int]], source: str) -> list[Doc]:
        """Each ``doc[a:b]`` through the trained components: in forked workers when allowed."""
        global _PARENT
        workers = min(self.processes, len(spans))
        parts: list[Doc] = []
        if workers > 1 and self.pipes and not multiprocessing.current_process().daemon:  # a pool's worker cannot fork
            _PARENT = (self, doc)
            try:
                with multiprocessing.get_context("fork").Pool(workers) as pool:
                    for data in pool.imap(_run_part, spans):
                        parts.append(Doc(doc.vocab).from_bytes(data))
                        self._report(source, len(parts), len(spans))
            finally:
                _PARENT = None
            return parts
        for a, b in spans:
            parts.append(self._run(doc[a:b].as_doc()))
            self._report(source, len(parts), len(spans))
        return parts

    def _report(self, source: str, done: int, total: int) -> None:
        if self.on_chunk is not None:
            self.on_chunk(source, done, total)


_PARENT: tuple[TrainedInChunks, Doc] | None = None  # what a forked worker inherits


def _run_part(span: tuple[int, int]) -> bytes:
    """In a worker: one piece of the inherited document through the trained components."""
    component, doc = _PARENT
    part = component._run(doc[span[0]:span[1]].as_doc())
    return part.to_bytes(exclude=["user_data"])
