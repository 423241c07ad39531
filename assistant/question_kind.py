"""What kind of answer a question asks for, told by its words: what its interrogative word asks (« comment mesurer… »
is not « pourquoi mesurer… »), whether a bare « oui » or « non » can answer it, and whether it asks for a quantity
(« combien… », « quel budget… ») or a duration (« combien de temps… », « quel délai… »), which an answer must then
state.
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
# jours », or that it depends (« Le budget d'un laboratoire dépend fortement de son ambition », « varie », not
# « la dépendance à une personne » or « des profils variés »).
QUANTITY_QUESTION = re.compile(
    r"\bcombien\b|\bquel(?:le)?s?\s+(?:(?:est|sont|était)\s+(?:le|la|les)\s+)?(?:nombre|durée|délai|montant|coût"
    r"|budget|part|proportion|pourcentage|taux|fréquence|âge|somme|prix|effectif|volume)s?\b", re.IGNORECASE)
QUANTITY = re.compile(
    r"\d+(?:[ ,.\u00a0\u202f]\d+)*\s*%?|\b(?:deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze"
    r"|quinze|seize|vingts?|trente|quarante|cinquante|soixante|cents?|mille|millions?|milliards?|dizaines?|douzaines?"
    r"|quinzaines?|vingtaines?|trentaines?|centaines?|milliers?|moitié|tiers|quarts?|quelques|(?:un|une|demi)[- ]"
    r"(?:an|année|mois|semaine|jour|journée|heure|minute|demi-journée)|dépend(?:ent|ra|ront|rait|raient)?"
    r"|vari(?:e|ent|era|eront|able|ables))\b", re.IGNORECASE)
# A question that asks how long, and what answers it: a quantity of time (« treize mois », « huit à dix semaines »,
# « un an », « quelques jours de travail »), or that it depends. A date (« le 28 mars 2003 ») is not a duration.
DURATION_QUESTION = re.compile(r"\bcombien\s+de\s+temps\b|\b(?:durée|délai)s?\b", re.IGNORECASE)
TIME_UNIT = r"(?:secondes?|minutes?|heures?|jours?|journées?|semaines?|mois|ans|années?|trimestres?|semestres?)\b"
FOLLOWED_BY_TIME_UNIT = re.compile(r"(?:\s*(?:à|ou|et|-)\s*\S+)?[\s\u00a0-]*" + TIME_UNIT, re.IGNORECASE)
SAYS_IT_DEPENDS = re.compile(r"dépend|vari|" + TIME_UNIT, re.IGNORECASE)
# A numbered thing the question names (« la 7e promotion », « la 9ème édition »), not a day of the month (« le 1er mars »).
ORDINAL_SUFFIX = r"(?:e|ème|eme|er|ère|°)"
ORDINAL = re.compile(rf"\b(\d+){ORDINAL_SUFFIX}\s+(?!(?:janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre"
                     r"|novembre|décembre)\b)(\w+)", re.IGNORECASE)
# What « combien de… » counts: a noun and its complement (« combien de jours de congés »), not time (a duration).
COUNTED = re.compile(r"\bcombien\s+d(?:e\s+|['’]\s*)(?!temps\b)([\w-]+(?:\s+(?:de|des|du|d['’])\s*[\w-]+)?)", re.IGNORECASE)


def yes_or_no_to_an_open_question(question: str, quote: str) -> bool:
    """Whether ``quote`` opens on « oui » or « non » though ``question`` asks how, why, when, who, what…: « Comment
    lancer une expérimentation ? » is not answered by « Oui. Le RGPD s'applique à toute expérimentation… »."""
    return bool(YES_OR_NO.match(quote)) and bool(OPEN_QUESTION.match(question))


def asks_for(question: str) -> str | None:
    """What ``question`` asks for by its first interrogative word (« how », « why », « when »…), None without one."""
    match = INTERROGATIVE.search(question)
    return None if match is None else INTERROGATIVES.get(match.group(0).lower(), "what")


def states_no_quantity_asked(question: str, text: str) -> bool:
    """Whether ``question`` asks for a quantity (« Combien de personnes… ? », « Quel budget… ? ») that ``text`` does
    not state: no number, share, « quelques » or « cela dépend » other than those the question itself gives (« pendant
    les 10 mois »); when it asks how long (« Combien de temps… ? », « Quelle durée… ? »), no quantity of time."""
    if not QUANTITY_QUESTION.search(question):
        return False
    asked = set(_quantities(question, durations=False))
    return not any(found not in asked for found in _quantities(text, durations=bool(DURATION_QUESTION.search(question))))


def counted(question: str) -> str | None:
    """What ``question`` asks the number of (« jours de congés » in « Combien de jours de congés a-t-on ? »), which
    its answer must name: « un jour par semaine » of mentoring is not a number of days off. None when it counts
    nothing, or time."""
    match = COUNTED.search(question)
    return match.group(1) if match else None


def misses_an_ordinal(question: str, text: str) -> bool:
    """Whether ``question`` names a numbered thing (« la 7e promotion ») that ``text`` does not name (as « 7e », « 7ème »
    or « promotion 7 »): an answer on the 4th promotion, opened on 7 June, does not answer a question on the 7th."""
    return any(not re.search(rf"\b{number}{ORDINAL_SUFFIX}(?!\w)|\b{re.escape(noun[:5])}\w*\s+(?:n°\s*)?{number}\b", text,
                             re.IGNORECASE) for number, noun in ORDINAL.findall(question))


def _quantities(text: str, durations: bool) -> list[str]:
    """The quantities ``text`` states, or only its quantities of time (and « cela dépend ») with ``durations``."""
    return [re.sub(r"\s+", " ", match.group().lower()).strip() for match in QUANTITY.finditer(text)
            if not durations or SAYS_IT_DEPENDS.search(match.group()) or FOLLOWED_BY_TIME_UNIT.match(text, match.end())]
