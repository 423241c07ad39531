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
# After a « ? » that does not end the text, before « et » followed by an interrogative word (« et qui a… ») or an
# inversion, or before a fallback.
_BOUNDARY = re.compile(rf"(?<=\?)\s+(?=\S)|,?\s+et\s+(?=(?:à |de |par |pour |avec |auprès de |chez )?{_INTERROGATIVE}\b|{_INVERTED})"
                       rf"|,\s+(?={_FALLBACK}\b)", re.IGNORECASE)


def question_parts(question: str, max_parts: int = 2) -> list[str]:
    """The parts of ``question`` that each ask something, in order (one part for a simple question).

    A part without any index term (« Auprès de qui ? ») only makes sense with the one before and stays with it;
    beyond ``max_parts``, the last parts are read together.
    """
    parts: list[str] = []
    for piece in (p.strip() for p in _BOUNDARY.split(question)):
        if not piece:
            continue
        if parts and (not analyze(piece) or len(parts) == max_parts):
            parts[-1] = f"{parts[-1]} {piece}"
        else:
            parts.append(piece)
    return parts
