"""What kind of answer a question asks for, told by its words: what its interrogative word asks (« comment mesurer… »
is not « pourquoi mesurer… »), whether a bare « oui » or « non » can answer it, and whether it asks for a quantity
(« combien… », « quel délai… »), which an answer must then state.
"""

from __future__ import annotations

import re

# What a question asks for, by its interrogative word: « comment mesurer… » is not « pourquoi mesurer… ».
INTERROGATIVES = {"comment": "how", "pourquoi": "why", "quand": "when", "combien": "how much", "où": "where",
                  "qui": "who", "quoi": "what", "quel": "what", "quelle": "what", "quels": "what", "quelles": "what",
                  "lequel": "what", "laquelle": "what", "lesquels": "what", "lesquelles": "what"}
INTERROGATIVE = re.compile(r"\b(?:qu['’]est-ce|" + "|".join(INTERROGATIVES) + r")\b", re.IGNORECASE)
# A question that opens on an interrogative word asks for something a bare « oui » or « non » does not state.
OPEN_QUESTION = re.compile(r"^\s*(?:et|mais|alors)?\s*(?:comment|pourquoi|quand|combien|où|qui|que|quels?|quelles?"
                           r"|qu['’]est-ce|à\s+qui|de\s+quoi|avec\s+qui)\b", re.IGNORECASE)
YES_OR_NO = re.compile(r"^\W*(?:oui|non)\b", re.IGNORECASE)
# A question that asks for a quantity, and what answers it: a number in digits or in words, a share, « quelques
# jours », or that it depends (« Le budget d'un laboratoire dépend fortement de son ambition »).
QUANTITY_QUESTION = re.compile(
    r"\bcombien\b|\bquel(?:le)?s?\s+(?:(?:est|sont|était)\s+(?:le|la|les)\s+)?(?:nombre|durée|délai|montant|coût"
    r"|budget|part|proportion|pourcentage|taux|fréquence|âge|somme|prix|effectif|volume)s?\b", re.IGNORECASE)
QUANTITY = re.compile(
    r"\d+(?:[ ,.\u00a0\u202f]\d+)*\s*%?|\b(?:deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze"
    r"|quinze|seize|vingts?|trente|quarante|cinquante|soixante|cents?|mille|millions?|milliards?|dizaines?|douzaines?"
    r"|quinzaines?|vingtaines?|trentaines?|centaines?|milliers?|moitié|tiers|quarts?|quelques|(?:un|une|demi)[- ]"
    r"(?:an|année|mois|semaine|jour|journée|heure|minute|demi-journée)|dépend\w*|varie\w*)\b", re.IGNORECASE)


def yes_or_no_to_an_open_question(question: str, quote: str) -> bool:
    """Whether ``quote`` opens on « oui » or « non » though ``question`` asks how, why, when, who, what…: « Comment
    lancer une expérimentation ? » is not answered by « Oui. Le RGPD s'applique à toute expérimentation… »."""
    return bool(YES_OR_NO.match(quote)) and bool(OPEN_QUESTION.match(question))


def asks_for(question: str) -> str | None:
    """What ``question`` asks for by its first interrogative word (« how », « why », « when »…), None without one."""
    match = INTERROGATIVE.search(question)
    return None if match is None else INTERROGATIVES.get(match.group(0).lower(), "what")


def states_no_quantity_asked(question: str, text: str) -> bool:
    """Whether ``question`` asks for a quantity (« Combien de temps… ? », « Quel délai… ? ») that ``text`` does not
    state: no number, share, « quelques jours » or « cela dépend » other than those the question itself gives
    (« pendant les 10 mois »)."""
    if not QUANTITY_QUESTION.search(question):
        return False
    asked = {_quantity(match) for match in QUANTITY.findall(question)}
    return not any(_quantity(match) not in asked for match in QUANTITY.findall(text))


def _quantity(found: str) -> str:
    return re.sub(r"\s+", " ", found.lower()).strip()
