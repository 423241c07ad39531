"""``eclaireur db copy``: a SQLite install moves to PostgreSQL without loss, the same reports come out, and a second
run copies nothing twice while bringing changed rows up to date."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from assistant.cli import main
from assistant.storage import Caller, ForeignRecord, Records
from assistant.storage.console import review_gap

ALICE, BOB = Caller("key:alice"), Caller("key:bob")
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
FILLED = ("conversations", "turns", "answers", "feedback", "gap_reviews")  # the tables the install below writes to


@pytest.fixture()
def sqlite_install(tmp_path, monkeypatch):
    """A SQLite records file as a single-machine install leaves it: conversations, answers, feedback, gaps."""
    path = tmp_path / "eclaireur.sqlite"
    monkeypatch.setenv("ECLAIREUR_RECORDS_PATH", str(path))
    monkeypatch.delenv("ECLAIREUR_DATABASE_URL", raising=False)
    records = Records(path)
    conversation = "alice"
    useful = records.record_exchange(conversation, True, "Qu'est-ce qu'un lab ?", "Qu'est-ce qu'un lab ?", "answered", 0.9,
                                     "api", 40.0, ALICE)
    records.record_feedback(useful, useful=True, comment=None, caller=ALICE)
    wrong = records.record_exchange(conversation, False, "et à l'hôpital ?", "et à l'hôpital ?", "answered", 0.6, "api", 55.0,
                                    ALICE)
    records.record_feedback(wrong, useful=False, comment="hors sujet", caller=ALICE)
    for number, question in enumerate(("Comment obtenir un badge ?", "Menu de la cantine ?")):
        records.record_exchange("bob", number == 0, question, question, "no_answer", 0.1, "telegram", 30.0, BOB)
    review_gap(records.database, ["menu de la cantine ?"], "Menu de la cantine ?", "hors_sujet", "admin-1", datetime.now(UTC))
    return records, conversation, wrong


def copy_to(url: str, capsys) -> dict[str, tuple[int, int]]:
    assert main(["db", "copy", "--to", url]) == 0
    lines = capsys.readouterr().out.splitlines()
    return {name: (int(copied), int(in_target)) for name, copied, in_target in (line.split() for line in lines[2:])}


def test_a_sqlite_install_moves_to_postgresql_with_the_same_reports(sqlite_install, postgres, capsys):
    source, conversation, _ = sqlite_install
    url = postgres.database()
    counts = copy_to(url, capsys)
    assert {table: counts[table] for table in FILLED} == {"conversations": (2, 2), "turns": (4, 4), "answers": (4, 4),
                                                         "feedback": (2, 2), "gap_reviews": (1, 1)}
    assert all(copied == in_target for copied, in_target in counts.values()), "every table, filled or not, is copied whole"

    target = Records(url)
    assert target.stats(EPOCH) == source.stats(EPOCH)
    assert target.gap_questions() == source.gap_questions()
    assert target.history(conversation, ALICE) == source.history(conversation, ALICE)
    with pytest.raises(ForeignRecord):
        target.history(conversation, BOB)  # owners come along: Bob still may not read Alice's conversation


def test_copying_again_adds_nothing_twice_and_brings_changed_rows(sqlite_install, postgres, capsys):
    source, _, wrong = sqlite_install
    url = postgres.database()
    copy_to(url, capsys)
    source.record_feedback(wrong, useful=True, comment="finalement juste", caller=ALICE)
    source.record_exchange("bob", False, "Une question de plus ?", "Une question de plus ?", "answered", 0.8, "widget", 35.0, BOB)

    counts = copy_to(url, capsys)
    assert counts["answers"] == (5, 5) and counts["feedback"] == (2, 2) and counts["conversations"] == (2, 2)
    target = Records(url)
    assert target.stats(EPOCH) == source.stats(EPOCH)
    assert target.stats(EPOCH)["useful_rate"] == 1.0


def test_copying_onto_the_configured_database_itself_is_refused_in_french(sqlite_install, capsys):
    source, _, _ = sqlite_install
    assert main(["db", "copy", "--to", str(source.database.path)]) == 1
    assert "désigne la base de suivi configurée elle-même" in capsys.readouterr().err
