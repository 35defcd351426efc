"""Low-content answers ("n/a", "no comment", "nothing to add") are kept but flagged, not coded."""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc

from ottext.clean.redact import PLACEHOLDER_RE
from ottext.clean.retokenize import text_of

_LOW = re.compile(
    r"^(n ?a|none|nothing|no|nil|nope|ok|okay|yes|fine|all good|thanks?|thank you|"
    r"no comments?|no further comments?|no thanks?|nothing (else |more |further )?(to )?(add|say|report|comment)|"
    r"not applicable|see above|as above|same as (above|before)|dont know|do not know|not sure|"
    r"(none|nothing|no) (at (present|the moment|this time)|really|thanks?|for now)|"
    r"nothing (else|further|more)|no other comments?|not at (present|the moment)|unsure|tbc|test)$"
)


def is_low_content(text: str) -> bool:
    """True for empty-in-substance answers: a stock phrase, or no letters at all."""
    text = PLACEHOLDER_RE.sub(" ", text)
    if not any(ch.isalpha() for ch in text):
        return True
    key = " ".join(re.sub(r"[^a-z ]+", " ", text.casefold().replace("'", "").replace("/", " ")).split())
    return bool(_LOW.match(key))


@Language.component("ottext_flag_low_content")
def flag_low_content(doc: Doc) -> Doc:
    """Pipeline component: flag blocks whose text is low-content."""
    text = text_of(doc)
    for block in doc._.ottext_blocks or []:
        block.low_content = is_low_content(text[block.start:block.end])
    return doc
