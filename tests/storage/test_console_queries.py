"""What the console reads from the records, on SQLite and PostgreSQL: the gap worklist (grouped by meaning, each
wording encoded once, reviews), disliked answers with filters, the questions of a period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from support import log_answer

from assistant.storage import Caller, Records
from assistant.storage.console import questions_between, rated_answers, review_gap, worklist

AGENT = Caller("key:agent")
BADGE, BADGE_AGAIN = "Comment obtenir un badge pour le bâtiment ?", "Comment avoir un badge d'accès au bâtiment ?"
CANTEEN = "Quel est le menu de la cantine cette semaine ?"
LAB = "Qu'est-ce qu'un laboratoire d'innovation ?"
LAB_SOURCES = [{"document_id": "guides/laboratoires.md", "title": "Les laboratoires"}]


class CountingEncoder:
    """The real model, counting the texts it is asked to encode."""

    def __init__(self, embedder) -> None:
        self.embedder, self.texts = embedder, []

    def __call__(self, texts: list[str]):
        self.texts += texts
        return self.embedder.encode_queries(texts)


def fail(records: Records, question: str, channel: str = "telegram") -> str:
    return log_answer(records, question, "no_answer", 0.1, channel, 30.0, AGENT, "Je n'ai pas trouvé.",
                                 [{"document_id": "guides/acces.md", "title": "Accès aux locaux"}])


def period() -> tuple[datetime, datetime]:
    now = datetime.now(UTC)
    return now - timedelta(days=30), now + timedelta(seconds=1)


def test_the_worklist_groups_by_meaning_encodes_each_wording_once_and_follows_reviews(database_location, embedder):
    records = Records(database_location)
    for question in (BADGE, BADGE, BADGE_AGAIN, CANTEEN):
        fail(records, question)
    disliked = log_answer(records, LAB, "answered", 0.7, "widget", 40.0, AGENT, "Un lieu d'expérimentation [1].", LAB_SOURCES)
    records.record_feedback(disliked, useful=False, comment="Trop vague", caller=AGENT)
    encode = CountingEncoder(embedder)

    groups = worklist(records.database, encode, "modele-test", *period())
    assert sorted(encode.texts) == sorted([BADGE, BADGE_AGAIN, CANTEEN, LAB]), "each distinct wording encoded once"
    badge = groups[0].gap
    assert (badge.question, badge.count, badge.reasons) == (BADGE, 3, {"no_answer": 3})
    assert set(badge.wordings) == {BADGE.lower(), BADGE_AGAIN.lower()}
    assert badge.documents == [{"document_id": "guides/acces.md", "title": "Accès aux locaux"}]
    assert badge.first_asked <= badge.last_asked
    lab = next(g.gap for g in groups if g.gap.question == LAB)
    assert (lab.reasons, lab.answers, lab.documents) == ({"not_useful": 1}, ["Un lieu d'expérimentation [1]."], LAB_SOURCES)

    encode.texts.clear()
    review_gap(records.database, badge.wordings, badge.question, "traite", "admin-1", datetime.now(UTC))
    review_gap(records.database, [CANTEEN.lower()], CANTEEN, "hors_sujet", "admin-1", datetime.now(UTC))
    assert [g.gap.question for g in worklist(records.database, encode, "modele-test", *period())] == [LAB]
    assert encode.texts == [], "the embeddings were kept"

    fail(records, BADGE, "api")
    fail(records, CANTEEN, "api")
    reopened = worklist(records.database, encode, "modele-test", *period())
    assert [(g.gap.question, g.returned, g.review.state if g.review else None) for g in reopened] == [
        (BADGE, True, "traite"), (LAB, False, None)]
    everything = worklist(records.database, encode, "modele-test", *period(), include_reviewed=True)
    assert {g.gap.question: g.review.state for g in everything if g.review} == {BADGE: "traite", CANTEEN: "hors_sujet"}


def test_disliked_answers_and_the_questions_of_a_period(database_location):
    records = Records(database_location)
    on_telegram = fail(records, CANTEEN, "telegram")
    records.record_feedback(on_telegram, useful=False, comment="Rien", caller=AGENT)
    on_widget = log_answer(records, LAB, "answered", 0.7, "widget", 40.0, AGENT, "Un lieu [1].", LAB_SOURCES)
    records.record_feedback(on_widget, useful=False, comment=None, caller=AGENT)
    liked = log_answer(records, LAB, "answered", 0.9, "api", 20.0, AGENT, "Un lieu [1].", LAB_SOURCES)
    records.record_feedback(liked, useful=True, comment="Merci", caller=AGENT)

    assert [a.answer_id for a in rated_answers(records.database)] == [on_widget, on_telegram], "newest first, 👎 only"
    widget = rated_answers(records.database, channel="widget")
    assert [(a.question, a.answer, a.sources, a.useful) for a in widget] == [(LAB, "Un lieu [1].", LAB_SOURCES, False)]
    assert [a.answer_id for a in rated_answers(records.database, useful=None)] == [liked, on_widget, on_telegram]
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    assert rated_answers(records.database, since=tomorrow) == []

    rows = questions_between(records.database, *period())
    assert [(channel, status, useful, comment, question) for _, channel, status, _, _, useful, comment, question in rows] == [
        ("telegram", "no_answer", 0, "Rien", CANTEEN), ("widget", "answered", 0, None, LAB), ("api", "answered", 1, "Merci", LAB)]
    assert questions_between(records.database, tomorrow, tomorrow + timedelta(days=1)) == []
