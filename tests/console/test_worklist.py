"""The gap worklist, the disliked answers and the CSV exports, in the console, from questions asked through the API."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime

from console_pages import ADMIN_KEY, log_in
from playwright.sync_api import Page, expect
from sqlalchemy import select

from assistant.storage.schema import gap_vectors

CANTEEN = "Quel est le tarif de la cantine scolaire ?"
PARKING = "Comment obtenir une carte de stationnement pour un véhicule de service ?"
LAB = "Où trouver un laboratoire d'innovation publique ?"


def ask(console_api, question: str, channel: str) -> dict:
    response = console_api.post("/ask", json={"question": question}, headers={"X-Eclaireur-Channel": channel})
    assert response.status_code == 200, response.text
    return response.json()


def rate(console_api, answer: dict, useful: bool, comment: str | None = None) -> None:
    response = console_api.post("/feedback", json={"answer_id": answer["answer_id"], "useful": useful, "comment": comment})
    assert response.status_code == 200, response.text


def group(page: Page, question: str):
    return page.locator("#liste-lacunes > li").filter(has=page.get_by_role("heading", name=question, exact=True))


def read_csv(path) -> list[dict[str, str]]:
    text = open(path, encoding="utf-8-sig", newline="").read()
    return list(csv.DictReader(text.splitlines(), delimiter=";"))


def test_a_group_marked_done_leaves_the_worklist_and_comes_back_flagged_after_a_new_failure(page, console_server, console_api,
                                                                                         console_service, artifacts):
    for channel in ("telegram", "widget"):
        assert ask(console_api, CANTEEN, channel)["status"] == "no_answer", "the small corpus says nothing of canteens"
    assert ask(console_api, PARKING, "api")["status"] == "no_answer"
    lab = ask(console_api, LAB, "widget")
    assert lab["status"] == "answered"
    rate(console_api, lab, useful=False, comment="Je cherchais la liste des laboratoires de ma région.")
    with console_service.database.transaction() as db:
        kept = set(db.execute(select(gap_vectors.c.wording)).scalars())
    assert {CANTEEN.lower(), PARKING.lower()} <= kept, "unanswered wordings are embedded as they are answered"
    log_in(page, console_server.url, ADMIN_KEY)

    canteen = group(page, CANTEEN)
    expect(canteen).to_contain_text("2 question(s) (2 sans réponse)")
    expect(canteen).to_contain_text(re.compile(r"du \d{1,2}(?:er)? \S+ \d{4} à \d{2}:\d{2} au \d{1,2}(?:er)? \S+ \d{4} à \d{2}:\d{2}"))
    expect(canteen.get_by_text("Documents les plus proches :")).to_be_visible()
    disliked = group(page, LAB)
    expect(disliked).to_contain_text("1 jugée(s) inutile(s)")
    expect(disliked.locator("blockquote")).to_have_text(lab["answer"])
    expect(disliked.locator("code").first).to_have_text(lab["citations"][0]["document_id"])
    page.screenshot(path=str(artifacts / "console-contenus-a-ecrire.png"), full_page=True)

    canteen.get_by_role("button", name="Traité").click()
    expect(page.locator("#etat-lacunes")).to_have_text(f"Groupe « {CANTEEN} » marqué « traité ».")
    expect(canteen).to_have_count(0)
    expect(group(page, PARKING)).to_have_count(1)
    review = next(g for g in console_api.get("/admin/gaps", params={"reviewed": "true"}, headers={"X-API-Key": ADMIN_KEY})
                  .json()["gaps"] if g["question"] == CANTEEN)
    assert review["review"]["state"] == "traite" and review["review"]["reviewer"] == "admin-1"
    assert datetime.fromisoformat(review["review"]["reviewed_at"]) <= datetime.now(UTC)
    page.reload()
    expect(group(page, PARKING)).to_have_count(1)
    expect(canteen).to_have_count(0)

    group(page, PARKING).get_by_role("button", name="Hors sujet").click()
    expect(group(page, PARKING)).to_have_count(0)

    ask(console_api, CANTEEN, "api")  # fails again
    ask(console_api, PARKING, "api")  # ignored from now on
    page.reload()
    expect(canteen).to_contain_text("Revenu")
    expect(canteen).to_contain_text(re.compile(r"Marqué « traité » le .* par admin-1, de nouveau sans bonne réponse depuis\."))
    expect(canteen).to_contain_text("3 question(s) (3 sans réponse)")
    expect(group(page, PARKING)).to_have_count(0)


def test_the_latest_disliked_answers_show_comment_answer_and_sources_filtered_by_channel(page, console_server, console_api):
    telegram = ask(console_api, "Qu'est-ce que le droit à l'erreur ?", "telegram")
    rate(console_api, telegram, useful=False, comment="Trop court pour mon cas.")
    liked = ask(console_api, "Quand a lieu le Mois de l'innovation publique ?", "telegram")
    rate(console_api, liked, useful=True, comment="Parfait")
    log_in(page, console_server.url, ADMIN_KEY)

    section = page.get_by_role("region", name="Avis négatifs")
    items = section.locator("#liste-avis > li")
    item = items.filter(has=page.get_by_role("heading", name="Qu'est-ce que le droit à l'erreur ?"))
    expect(item).to_contain_text("Commentaire : Trop court pour mon cas.")
    expect(item).to_contain_text(re.compile(r"👎 le \d{1,2}(?:er)? \S+ \d{4} à \d{2}:\d{2}, Telegram"))
    expect(item.locator("blockquote")).to_have_text(telegram["answer"])
    expect(item.locator("code")).to_have_text([c["document_id"] for c in telegram["citations"]][:1])
    expect(section).not_to_contain_text("Parfait")  # only 👎

    disliked = console_api.get("/admin/feedback", headers={"X-API-Key": ADMIN_KEY}).json()["answers"]
    expect(items).to_have_count(len(disliked))
    section.get_by_label("Canal").select_option("telegram")
    section.get_by_role("button", name="Filtrer").click()
    telegram_only = [a for a in disliked if a["channel"] == "telegram"]
    expect(items).to_have_count(len(telegram_only))
    expect(section.get_by_role("status")).to_have_text(f"{len(telegram_only)} avis 👎 (les plus récents d'abord).")
    expect(items.first.get_by_role("heading")).to_have_text("Qu'est-ce que le droit à l'erreur ?")

    next_year = datetime.now(UTC).date().replace(year=datetime.now(UTC).year + 1)
    section.get_by_label("Canal").select_option("")
    section.get_by_label("Depuis le").fill(next_year.isoformat())
    section.get_by_role("button", name="Filtrer").click()
    expect(section.get_by_role("status")).to_have_text("Aucun avis 👎 pour ces critères.")
    expect(items).to_have_count(0)


def test_csv_exports_of_the_period_open_with_their_rows(page, console_server, console_api, tmp_path):
    answer = ask(console_api, "Une collectivité peut-elle expérimenter une loi ?", "api")
    rate(console_api, answer, useful=True, comment="=SOMME(A1:A9)")
    log_in(page, console_server.url, ADMIN_KEY)
    section = page.get_by_role("region", name="Exports")
    expect(section.get_by_label("au")).to_have_value(datetime.now(UTC).date().isoformat())

    with page.expect_download() as download:
        section.get_by_role("button", name="Exporter les questions (CSV)").click()
    today = datetime.now(UTC).date()
    assert re.fullmatch(r"questions-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv", download.value.suggested_filename)
    rows = read_csv(download.value.path())
    assert list(rows[0]) == ["date", "canal", "statut", "confiance", "latence_ms", "avis", "commentaire", "question"]
    mine = [r for r in rows if r["question"] == "Une collectivité peut-elle expérimenter une loi ?"]
    assert len(mine) == 1 and mine[0]["canal"] == "api" and mine[0]["statut"] == answer["status"] and mine[0]["avis"] == "utile"
    assert mine[0]["commentaire"] == "'=SOMME(A1:A9)", "a formula typed as a comment stays text in a spreadsheet"
    assert mine[0]["date"].startswith(today.isoformat())
    expect(section.get_by_role("status")).to_have_text(f"Fichier « {download.value.suggested_filename} » téléchargé.")

    with page.expect_download() as download:
        section.get_by_role("button", name="Exporter les contenus à écrire (CSV)").click()
    gaps = read_csv(download.value.path())
    api_gaps = console_api.get("/admin/gaps", params={"reviewed": "true", "days": 30}, headers={"X-API-Key": ADMIN_KEY}).json()["gaps"]
    assert [g["question"] for g in gaps] == [g["question"] for g in api_gaps]
    assert all(int(g["nombre"]) == int(g["sans_reponse"]) + int(g["jugees_inutiles"]) for g in gaps)


def test_without_question_texts_the_page_and_the_export_say_so(page, console_service, serve):
    server = serve(console_service, record_question_text=False)
    log_in(page, server.url, ADMIN_KEY)
    expect(page.get_by_role("complementary", name="Données personnelles")).to_contain_text(
        "Le texte des questions n'est pas enregistré (ECLAIREUR_RECORD_QUESTION_TEXT=false)")
    expect(page.locator("#note-export")).to_contain_text("l'export des questions n'a pas de colonne « question »")
    with page.expect_download() as download:
        page.get_by_role("button", name="Exporter les questions (CSV)").click()
    assert list(read_csv(download.value.path())[0]) == ["date", "canal", "statut", "confiance", "latence_ms", "avis", "commentaire"]
