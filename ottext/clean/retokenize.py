"""Rebuilding a Doc after a component changes its text, keeping ottext's attributes."""

from __future__ import annotations

import copy

from spacy.tokens import Doc


def remake_doc(doc: Doc, new_text: str, tokenizer) -> Doc:
    """Tokenise ``new_text`` into a new Doc that carries ``doc``'s user data (its ``._`` values)."""
    new = tokenizer(new_text)
    new.user_data.update(copy.deepcopy(doc.user_data))
    return new
