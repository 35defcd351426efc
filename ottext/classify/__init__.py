"""Classification: the trained multi-label coder, its training, evaluation and persistence."""

from ottext.classify.coder import Coded, PassageIn, code_passages, read_passages
from ottext.classify.metrics import agreement, format_table
from ottext.classify.model import CodeClassifier
from ottext.classify.persist import load_model, save_model

__all__ = ["CodeClassifier", "Coded", "PassageIn", "agreement", "code_passages", "format_table", "load_model",
           "read_passages", "save_model"]
