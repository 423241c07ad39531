"""Follow-up questions: « et pour une collectivité ? » means little alone; with the previous question it
becomes a query retrieval can serve."""

from __future__ import annotations

import re

SHORT_QUESTION_WORDS = 6
# Openings and words that refer back to what was said before.
REFERS_BACK = re.compile(
    r"^(?:et|mais|alors|aussi|pareil|idem|sinon|ok|d'accord)\b"
    r"|\b(?:ça|cela|ceci|celui-ci|celle-ci|ceux-ci|celles-ci|celui-là|celle-là|le même|la même|les mêmes"
    r"|dans ce cas|en ce cas|là-dessus|à ce sujet|de même)\b",
    re.IGNORECASE,
)


def is_follow_up(question: str) -> bool:
    """A short question, or one that opens with « et… » or points back with a pronoun."""
    text = question.strip()
    words = re.findall(r"\w+", text)
    return len(words) <= SHORT_QUESTION_WORDS or bool(REFERS_BACK.search(text))


def retrieval_query(question: str, history: list[tuple[str, str]]) -> str:
    """The text to search for: the question alone, or joined to the previous turn's query when it follows up."""
    if not history or not is_follow_up(question):
        return question
    previous_query = history[-1][1]
    return f"{previous_query} {question}"[-1000:]
