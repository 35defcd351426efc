"""Rebuilding a Doc after a component changes its text, keeping ottext's attributes."""

from __future__ import annotations

import copy

from spacy.tokens import Doc

TEXT_KEY = "ottext_text"


def text_of(doc: Doc) -> str:
    """``doc.text``, built once per Doc: spaCy joins every token on each access, and each cleaning
    component needs the text. The memo names the Doc it belongs to (``id``), so a Doc that copied
    another's user data never sees the other's text (and Docs made here drop the memo anyway)."""
    memo = doc.user_data.get(TEXT_KEY)
    if memo is None or memo[0] != id(doc):
        memo = (id(doc), doc.text)
        doc.user_data[TEXT_KEY] = memo
    return memo[1]


def remember_text(doc: Doc, text: str) -> Doc:
    """Record ``text`` as ``doc``'s text when the caller already knows it (the text a tokenizer was
    given: spaCy's tokenizer never changes it), saving ``text_of`` the join."""
    doc.user_data[TEXT_KEY] = (id(doc), text)
    return doc


def remake_doc(doc: Doc, new_text: str, tokenizer) -> Doc:
    """Tokenise ``new_text`` into a new Doc that carries ``doc``'s user data (its ``._`` values)."""
    new = tokenizer(new_text)
    new.user_data.update(copy.deepcopy(doc.user_data))
    return remember_text(new, new_text)
