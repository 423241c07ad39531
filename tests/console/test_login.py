"""Logging in to the console: the admin key typed once, kept in the tab only, refused in French, rate limited."""

from __future__ import annotations

import re

import pytest
from console_pages import ADMIN_KEY, KEY_STORAGE, SEARCH_KEY, log_in, submit_key
from playwright.sync_api import expect

WRONG_KEY = "une-cle-qui-n-existe-pas-0123456789"


@pytest.mark.network_errors_expected  # the refused attempts are 401 and 403 answers
def test_a_wrong_key_is_refused_in_french_then_the_right_key_opens_the_console(page, console_server, artifacts):
    page.goto(console_server.url + "/admin/")
    expect(page.get_by_role("heading", level=1, name="Connexion à la console")).to_be_visible()
    submit_key(page, WRONG_KEY)
    expect(page.get_by_role("alert")).to_have_text(re.compile(r"^Clé refusée : vérifiez-la"))
    expect(page.get_by_label("Clé d'administration")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#console")).to_be_hidden()

    submit_key(page, SEARCH_KEY)
    expect(page.get_by_role("alert")).to_have_text("Cette clé d'API n'a pas la portée « admin ».")
    page.screenshot(path=str(artifacts / "console-connexion-refusee.png"), full_page=True)

    submit_key(page, ADMIN_KEY)
    expect(page.get_by_role("heading", level=1, name="Console de l'équipe éditoriale")).to_be_visible()
    expect(page.locator("#erreur-connexion")).to_have_text("")
    assert page.url == console_server.url + "/admin/", "the key never appears in the address"
    assert page.evaluate(f"sessionStorage.getItem('{KEY_STORAGE}')") == ADMIN_KEY
    assert page.evaluate("document.cookie") == ""

    page.reload()  # the key lasts as long as the tab
    expect(page.get_by_role("heading", level=1, name="Console de l'équipe éditoriale")).to_be_visible()


def test_logging_out_forgets_the_key(page, console_server):
    log_in(page, console_server.url, ADMIN_KEY)
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("status").filter(has_text="Vous êtes déconnecté")).to_be_visible()
    expect(page.locator("#console")).to_be_hidden()
    assert page.evaluate(f"sessionStorage.getItem('{KEY_STORAGE}')") is None
    expect(page.get_by_label("Clé d'administration")).to_be_focused()
    page.reload()
    expect(page.get_by_role("heading", level=1, name="Connexion à la console")).to_be_visible()


@pytest.mark.network_errors_expected
def test_wrong_keys_are_rate_limited_like_any_api_call(page, console_service, serve):
    server = serve(console_service, auth_failures_per_minute=2)
    page.goto(server.url + "/admin/")
    for _ in range(2):
        submit_key(page, WRONG_KEY)
        expect(page.get_by_role("alert")).to_have_text(re.compile(r"^Clé refusée"))
        page.get_by_label("Clé d'administration").fill("")
    submit_key(page, WRONG_KEY)
    expect(page.get_by_role("alert")).to_have_text(re.compile(r"^Trop de clés d'API erronées depuis cette adresse : "
                                                              r"réessayez dans \d+ s\.$"))
    submit_key(page, ADMIN_KEY)  # the address is locked out, whatever key it sends
    expect(page.get_by_role("alert")).to_have_text(re.compile(r"^Trop de clés d'API erronées"))
    expect(page.locator("#console")).to_be_hidden()
