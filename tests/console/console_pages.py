"""Steps shared by the console's browser tests: opening it, logging in, reading its charts, checking its layout."""

from __future__ import annotations

from playwright.sync_api import Page, expect

KEY_STORAGE = "eclaireur.console.cle"
ADMIN_KEY = "cle-admin-de-la-console-0123456789"  # named « admin-1 » (first of ECLAIREUR_ADMIN_API_KEYS)
SEARCH_KEY = "cle-de-recherche-de-la-console-0123"


def log_in(page: Page, base_url: str, key: str) -> None:
    """Open /admin/ and log in with ``key``; returns once the console is shown."""
    page.goto(base_url + "/admin/")
    submit_key(page, key)
    expect(page.get_by_role("heading", level=1, name="Console de l'équipe éditoriale")).to_be_visible()


def submit_key(page: Page, key: str) -> None:
    page.get_by_label("Clé d'administration").fill(key)
    page.get_by_role("button", name="Se connecter").click()


def chart_counts(page: Page, chart_id: str) -> dict[str, int]:
    """The bars drawn in one chart, summed per series (what the eye reads off the chart)."""
    return page.evaluate("""id => {
        const totals = {};
        for (const bar of document.querySelectorAll(`#${id} svg rect[data-series]`)) {
            totals[bar.dataset.series] = (totals[bar.dataset.series] || 0) + Number(bar.dataset.count);
        }
        return totals;
    }""", chart_id)


def overflows_horizontally(page: Page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth > document.documentElement.clientWidth")
