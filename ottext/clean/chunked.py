"""Running the trained components in chunks, so a long document needs bounded memory.

spaCy's parser and NER need memory in proportion to a document's length (several GB for a 1 MB
document). ``ottext_trained_in_chunks`` runs the trained components on pieces of at most
``max_tokens`` tokens cut at line breaks, then joins the pieces back into one Doc whose text is
exactly the original (``Doc.from_docs``), keeping ottext's attributes.
"""

from __future__ import annotations

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

    def __init__(self, max_tokens: int = MAX_TOKENS) -> None:
        self.max_tokens = max_tokens
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
        parts = [self._run(doc[a:b].as_doc()) for a, b in zip(bounds, bounds[1:], strict=False)]
        merged = Doc.from_docs(parts, ensure_whitespace=False)
        merged.user_data.update(doc.user_data)
        merged.user_data.pop(TEXT_KEY, None)
        return merged
