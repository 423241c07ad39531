"""The console for everyone: no axe-core violation, usable at 360 px wide and at 200 % zoom, no console error."""

from __future__ import annotations

import pytest
from console_pages import ADMIN_KEY, log_in, overflows_horizontally
from playwright.sync_api import expect
from widget.test_widget_browser import run_axe

SCREENS = {
    "360px": {"viewport": {"width": 360, "height": 740}},
    # A 1280 px wide screen at 200 % zoom lays pages out in 640 CSS pixels, each drawn with 2 device pixels.
    "zoom-200": {"viewport": {"width": 640, "height": 450}, "device_scale_factor": 2},
}


@pytest.fixture()
def filled(console_api):
    """Questions on every channel, answered and not, one of them disliked with a comment."""
    for channel, question in (("telegram", "Qu'est-ce que le droit à l'erreur ?"), ("widget", "Quel est le tarif de la cantine scolaire ?"),
                              ("api", "Une collectivité peut-elle expérimenter une loi ?")):
        answer = console_api.post("/ask", json={"question": question}, headers={"X-Eclaireur-Channel": channel}).json()
        console_api.post("/feedback", json={"answer_id": answer["answer_id"], "useful": channel != "telegram",
                                            "comment": "Incomplet" if channel == "telegram" else None})


def open_every_table(page) -> None:
    for summary in page.get_by_text("Voir les données du graphique").all():
        summary.click()


def test_axe_finds_no_violation_on_the_login_form_and_on_the_console(make_page, console_server, filled, axe_script, artifacts):
    page = make_page(bypass_csp=True)  # axe is injected as an inline script, which the console's CSP forbids
    page.goto(console_server.url + "/admin/")
    expect(page.get_by_label("Clé d'administration")).to_be_visible()
    assert run_axe(page, axe_script) == []

    log_in(page, console_server.url, ADMIN_KEY)
    expect(page.locator("#liste-lacunes > li").first).to_be_visible()
    expect(page.locator("#liste-avis > li").first).to_be_visible()
    expect(page.locator("#nombre-documents")).not_to_be_empty()
    open_every_table(page)
    assert run_axe(page, axe_script) == []
    page.screenshot(path=str(artifacts / "console.png"), full_page=True)


@pytest.mark.parametrize("screen", SCREENS)
def test_the_console_is_usable_on_a_phone_and_at_200_percent_zoom(make_page, console_server, filled, screen, artifacts):
    page = make_page(**SCREENS[screen])
    log_in(page, console_server.url, ADMIN_KEY)
    expect(page.get_by_role("img", name="Questions par jour et par canal, 30 derniers jours")).to_be_visible()
    open_every_table(page)
    assert not overflows_horizontally(page), "no sideways scrolling of the page (wide tables scroll inside their frame)"
    for name in ("Se déconnecter", "Réindexer", "Exporter les questions (CSV)"):
        button = page.get_by_role("button", name=name)
        button.scroll_into_view_if_needed()
        expect(button).to_be_in_viewport()
        box = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= SCREENS[screen]["viewport"]["width"]
    first_gap = page.locator("#liste-lacunes > li").first
    first_gap.get_by_role("button", name="À écrire").click()
    expect(page.locator("#etat-lacunes")).to_contain_text("marqué « à écrire »")
    page.screenshot(path=str(artifacts / f"console-{screen}.png"), full_page=True)
