"""The console's activity charts, drawn from questions and feedback sent through the API on all three channels."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from console_pages import ADMIN_KEY, chart_counts, log_in
from playwright.sync_api import expect

from assistant.dates import french_date

QUESTIONS = {
    "telegram": ["Qu'est-ce que le droit à l'erreur ?", "Quand a lieu le Mois de l'innovation publique ?",
                 "Comment obtenir une carte de stationnement pour un véhicule de service ?"],
    "widget": ["Où trouver un laboratoire d'innovation publique ?", "Quel est le tarif de la cantine scolaire ?"],
    "api": ["Une collectivité peut-elle expérimenter une loi ?"],
}


def ask_everywhere(console_api) -> dict[str, list[dict]]:
    """Every question of QUESTIONS asked on its channel; the first answer of each channel rated 👍, the second 👎."""
    answers = {}
    for channel, questions in QUESTIONS.items():
        answers[channel] = [console_api.post("/ask", json={"question": q}, headers={"X-Eclaireur-Channel": channel}).json()
                            for q in questions]
        for answer, useful in zip(answers[channel], (True, False)):
            response = console_api.post("/feedback", json={"answer_id": answer["answer_id"], "useful": useful,
                                                           "comment": None if useful else "Pas la bonne information."})
            assert response.status_code == 200, response.text
    return answers


def test_the_charts_show_questions_outcomes_and_feedback_per_channel_with_data_tables(page, console_server, console_api,
                                                                                      artifacts):
    answers = ask_everywhere(console_api)
    flat = [a for channel in answers.values() for a in channel]
    answered = sum(a["status"] == "answered" for a in flat)
    log_in(page, console_server.url, ADMIN_KEY)

    chart = page.get_by_role("img", name="Questions par jour et par canal, 30 derniers jours")
    expect(chart).to_be_visible()
    assert chart_counts(page, "questions-par-jour") == {channel: len(questions) for channel, questions in QUESTIONS.items()}
    expect(chart).to_have_accessible_name(re.compile(
        r"^Questions par jour et par canal, 30 derniers jours : 6 questions au total \(Telegram : 3, Widget intranet : 2, "
        r"API : 1\), du \d{1,2}(?:er)? \S+ \d{4} au \d{1,2}(?:er)? \S+ \d{4}\.$"))
    assert chart_counts(page, "reponses-par-jour") == {key: n for key, n in (("answered", answered), ("no_answer", len(flat) - answered))
                                                       if n}
    assert chart_counts(page, "avis-par-jour") == {"useful": len(QUESTIONS), "not_useful": 2}  # see ask_everywhere
    figures = page.locator("#chiffres")
    expect(figures).to_contain_text("Questions6")
    expect(figures).to_contain_text(f"{answered} réponses données")
    ratings = sum(min(len(questions), 2) for questions in QUESTIONS.values())
    expect(figures).to_contain_text(f"{round(100 * len(QUESTIONS) / ratings)} %sur {ratings} avis donnés")  # a 👍 per channel
    expect(figures).to_contain_text("médiane ; 95 % en moins de")

    table = page.locator("#questions-par-jour table")
    expect(table).to_be_hidden()  # inside a closed <details>
    page.get_by_text("Voir les données du graphique").first.click()
    row = table.get_by_role("row", name=french_date(datetime.now(UTC).date().isoformat()))  # « 1er décembre 2026 »
    expect(row.get_by_role("cell")).to_have_text(["3", "2", "1", "6"])
    page.screenshot(path=str(artifacts / "console-activite.png"), full_page=True)
