"""A question that asks two things: « Quel logiciel…, et qui a financé cette initiative ? », « … est-ce un problème ?
Quels formats faut-il privilégier ? », « peut-on désactiver les discussions, ou au moins clore un fil ? ».

A single span rarely states both answers, so the composer (``answers.py``) reads each part on its own and answers
with one span per part, from the same document.
"""

from __future__ import annotations

import re

from index.lexical import analyze

# « que » is left out: « … et que … » is far more often « and that » than « and what ».
_INTERROGATIVE = r"(?:qui|quoi|quel(?:le)?s?|lequel|laquelle|comment|pourquoi|combien|quand|où|qu['’]est-ce|est-ce)"
# A fallback asked after the first wish: « peut-on désactiver X, ou au moins clore Y ? » wants both answers.
_FALLBACK = r"ou\s+(?:au\s+moins|à\s+défaut|sinon|du\s+moins|à\s+la\s+rigueur)"
# A question by inversion (« …, et faut-il les faire relire ? », « et peut-on… ? »).
_INVERTED = r"\w+-(?:t-)?(?:il|elle|on|ils|elles)\b"
# The preposition an interrogative word may follow (« et sous quel format… », « et sur quels critères… »).
_PREPOSITION = r"(?:à|de|par|pour|avec|auprès\s+de|chez|sous|sur|dans|en|depuis|selon|vers|entre|jusqu['’]à)"
# « que » asks « what » before an inversion (« et que se passe-t-il… », « et que faut-il… »); « et que faire ? »
# is left whole: its part alone would only ask « faire ».
_WHAT = rf"que\s+(?:se\s+)?{_INVERTED}"
# Where a question ends (after a « ? » that does not end the text), and where a sentence asks a second thing:
# before « et » followed by an interrogative word (« et qui a… »), an inversion or « que » asking what, or before
# a fallback.
_SENTENCE_END = re.compile(r"(?<=\?)\s+(?=\S)")
_WITHIN = re.compile(rf",?\s+et\s+(?=(?:{_PREPOSITION}\s+)?{_INTERROGATIVE}\b|{_INVERTED}|{_WHAT})|,\s+(?={_FALLBACK}\b)",
                     re.IGNORECASE)


def question_parts(question: str, max_parts: int = 2) -> list[str]:
    """The parts of ``question`` that each ask something, in order (one part for a simple question).

    Its questions are its parts first; a sentence is cut where it asks a second thing only when there are fewer
    than ``max_parts`` of them (« Quelle loi…, et en quelle année ? Et laquelle… ? » is read as its two questions).
    A part without any index term (« Auprès de qui ? ») only makes sense with the one before and stays with it;
    beyond ``max_parts``, the last parts are read together.
    """
    sentences = _joined(_SENTENCE_END.split(question), max_parts)
    if len(sentences) >= max_parts:
        return sentences
    return _joined([piece for sentence in sentences for piece in _WITHIN.split(sentence)], max_parts)


def _joined(pieces: list[str], max_parts: int) -> list[str]:
    """``pieces`` as parts: one without an index term, or beyond ``max_parts``, joined to the one before."""
    parts: list[str] = []
    for piece in (p.strip() for p in pieces):
        if not piece:
            continue
        if parts and (not analyze(piece) or len(parts) == max_parts):
            parts[-1] = f"{parts[-1]} {piece}"
        else:
            parts.append(piece)
    return parts
