"""The intranet widget in a real browser (Chromium), against the real API and the real index of the bundled corpus."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import time

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

WIDGET_KEY = "cle-du-widget-intranet-0123456789"

# ---------- helpers ----------

def open_demo(page: Page, base_url: str):
    page.goto(base_url + "/")
    widget = page.locator("eclaireur-search")
    expect(widget.get_by_role("combobox", name="Rechercher dans les guides et les FAQ")).to_be_visible()
    return widget


def type_query(widget, text: str, delay: int = 25) -> None:
    box = widget.locator("#q")
    box.click()
    box.press_sequentially(text, delay=delay)


def wait_for_results(page: Page, query: str, timeout: float = 15_000) -> dict:
    """The widget's eclaireur:results event for ``query``: fired once the results are painted."""
    page.wait_for_function("q => window.__events.some(e => e.type === 'results' && e.query === q)", arg=query, timeout=timeout)
    return page.evaluate("q => window.__events.filter(e => e.type === 'results' && e.query === q).pop()", query)


def results_after(page: Page, action) -> dict:
    """Runs ``action`` and waits for the next eclaireur:results event (a results list painted)."""
    before = page.evaluate("() => window.__events.filter(e => e.type === 'results').length")
    action()
    page.wait_for_function("n => window.__events.filter(e => e.type === 'results').length > n", arg=before, timeout=15_000)
    return page.evaluate("() => window.__events.filter(e => e.type === 'results').pop()")


def wait_for_answer(page: Page, timeout: float = 30_000) -> dict:
    page.wait_for_function("() => window.__events.some(e => e.type === 'answer')", timeout=timeout)
    return page.evaluate("() => window.__events.filter(e => e.type === 'answer').pop()")


def titles(widget) -> list[str]:
    return widget.locator("[role=option] .title").all_inner_texts()


def api_titles(api, query: str, k: int = 8, **params) -> list[str]:
    return [r["title"] for r in api.get("/search", params={"q": query, "k": k, **params}).json()["results"]]


def run_axe(page: Page, axe_script) -> list[dict]:
    page.add_script_tag(path=str(axe_script))
    return page.evaluate("""async () => {
        const report = await axe.run(document, { resultTypes: ["violations"] });
        return report.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                                             nodes: v.nodes.map(n => ({ target: n.target, summary: n.failureSummary })) }));
    }""")


def intranet_page(api_url: str, widget_attributes: str, head: str = "") -> str:
    return f"""<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Intranet de test</title>
<link rel="icon" href="data:,">{head}</head><body><main><h1>Intranet de la préfecture</h1>
<p>Texte de la page hôte.</p>
<script src="{api_url}/widget.js" defer></script>
<eclaireur-search {widget_attributes}></eclaireur-search>
<p>Suite de la page hôte.</p></main></body></html>"""


# ---------- searching ----------

def test_typing_a_french_question_shows_relevant_highlighted_results(page, live_server, api, artifacts):
    widget = open_demo(page, live_server.url)
    query = "comment créer un laboratoire d'innovation"
    type_query(widget, query)
    event = wait_for_results(page, query)

    options = widget.get_by_role("option")
    expect(options.first).to_be_visible()
    assert event["count"] == options.count() == len(api_titles(api, query))
    assert titles(widget) == api_titles(api, query), "the widget shows the API's ranking, in order"
    assert re.search(r"laboratoires? d'innovation", titles(widget)[0].lower())
    marks = widget.locator("[role=option] mark")
    assert marks.count() >= 3
    assert {text.lower() for text in marks.all_inner_texts()} & {"laboratoire", "innovation", "créer"}
    assert set(widget.locator(".badge").all_inner_texts()) <= {"GUIDE", "FAQ"}  # shown in capitals by CSS
    assert widget.locator(".path").count() >= 1 and widget.locator(".source").count() == options.count()

    # Each option is named by its title and type; heading path, snippet and source are its description.
    # The guide on creating a lab, or the FAQ entry asking exactly this: both answer it.
    expect(options.first).to_have_accessible_name(re.compile(r"laboratoires? d'innovation.* (Guide|FAQ)$", re.IGNORECASE))
    expect(options.first).to_have_accessible_description(re.compile(r"créer un laboratoire d'innovation", re.IGNORECASE))
    combobox = widget.locator("#q")
    expect(combobox).to_have_attribute("aria-expanded", "true")
    expect(combobox).to_have_attribute("aria-controls", "listbox")
    expect(widget.locator("[role=status]")).to_have_text(f"{options.count()} résultats")
    expect(widget.locator(".meta .count")).to_have_text(f"{options.count()} résultats")
    page.screenshot(path=str(artifacts / "widget-demo.png"), full_page=True)


def test_arrows_move_through_results_and_enter_opens_the_active_one(page, live_server):
    widget = open_demo(page, live_server.url)
    type_query(widget, "droit à l'erreur")
    wait_for_results(page, "droit à l'erreur")
    combobox, options = widget.locator("#q"), widget.get_by_role("option")
    count = options.count()
    assert count >= 3

    def active() -> str | None:
        return combobox.get_attribute("aria-activedescendant")

    combobox.press("ArrowDown")
    assert active() == "option-0"
    combobox.press("ArrowDown")
    assert active() == "option-1"
    combobox.press("ArrowUp")
    assert active() == "option-0"
    combobox.press("ArrowUp")
    assert active() == f"option-{count - 1}", "↑ on the first result wraps to the last"
    combobox.press("ArrowDown")
    combobox.press("ArrowDown")
    assert active() == "option-1"
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    assert widget.locator("[aria-selected=true]").count() == 1
    # The focus stays in the box (combobox pattern) and the active result is visibly outlined.
    assert page.evaluate("() => document.activeElement.shadowRoot?.activeElement?.id") == "q"
    style = options.nth(1).evaluate("o => { const s = getComputedStyle(o); return [s.outlineStyle, s.outlineWidth, s.backgroundColor]; }")
    assert style[0] == "solid" and style[1] == "2px" and style[2] != "rgba(0, 0, 0, 0)"

    target = options.nth(1).get_attribute("data-url")
    assert target and target.startswith(("http://", "https://"))
    combobox.press("Enter")
    page.wait_for_url(target)
    assert page.url == target


def test_escape_closes_then_clears_and_focus_is_always_visible(page, live_server):
    widget = open_demo(page, live_server.url)
    type_query(widget, "mesurer l'impact")
    wait_for_results(page, "mesurer l'impact")
    combobox = widget.locator("#q")
    combobox.press("ArrowDown")
    combobox.press("Escape")
    expect(combobox).to_have_attribute("aria-expanded", "false")
    expect(widget.locator("#listbox")).to_be_hidden()
    assert combobox.get_attribute("aria-activedescendant") is None
    expect(combobox).to_have_value("mesurer l'impact")
    combobox.press("ArrowDown")  # ↓ reopens the list on the first result
    expect(combobox).to_have_attribute("aria-expanded", "true")
    assert combobox.get_attribute("aria-activedescendant") == "option-0"
    combobox.press("Escape")
    combobox.press("Escape")
    expect(combobox).to_have_value("")

    def outline_of_focused() -> list[str]:
        return page.evaluate("""() => { const el = document.activeElement.shadowRoot.activeElement;
            const s = getComputedStyle(el); return [el.textContent || el.id, s.outlineStyle, s.outlineWidth]; }""")

    combobox.focus()
    assert outline_of_focused()[1:] == ["solid", "2px"]
    page.keyboard.press("Tab")
    assert outline_of_focused() == ["Poser la question", "solid", "2px"]
    page.keyboard.press("Tab")
    assert outline_of_focused() == ["Guide", "solid", "2px"]


def test_filters_by_type_and_by_theme(page, live_server, api):
    widget = open_demo(page, live_server.url)
    type_query(widget, "innovation")
    wait_for_results(page, "innovation")
    assert {"GUIDE", "FAQ"} <= set(widget.locator(".badge").all_inner_texts())

    faq = widget.get_by_role("button", name="FAQ")
    with page.expect_request(lambda r: "/search?" in r.url and "type=faq" in r.url):
        results_after(page, faq.click)
    expect(faq).to_have_attribute("aria-pressed", "true")
    assert set(widget.locator(".badge").all_inner_texts()) == {"FAQ"}
    assert titles(widget) == api_titles(api, "innovation", type="faq")

    results_after(page, faq.click)  # off again
    expect(faq).to_have_attribute("aria-pressed", "false")
    assert {"GUIDE", "FAQ"} <= set(widget.locator(".badge").all_inner_texts())
    theme = widget.get_by_role("button", name="droit à l'erreur")
    with page.expect_request(lambda r: "/search?" in r.url and "tag=droit" in r.url):
        results_after(page, theme.click)
    expect(theme).to_have_attribute("aria-pressed", "true")
    shown = widget.get_by_role("option").evaluate_all("options => options.map(o => o.dataset.documentId)")
    filtered = api.get("/search", params={"q": "innovation", "k": 8, "tag": "droit à l'erreur"}).json()["results"]
    expected = [r["document_id"] for r in filtered]
    assert shown == expected and 0 < len(shown) < 8


def test_a_stale_response_never_overwrites_a_newer_one(page, live_server, api):
    """The first request is held back until the second one has been answered and painted."""
    widget = open_demo(page, live_server.url)
    held = []

    def hold_the_first_search(route) -> None:
        if not held:
            held.append(route)
        else:
            route.continue_()

    page.route("**/search?*", hold_the_first_search)
    widget.locator("#q").fill("covid")  # one input event: exactly one search, the one held back
    deadline = time.monotonic() + 10
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert held, "the first search was sent"
    expect(widget.locator(".panel")).to_be_visible()

    combobox = widget.locator("#q")
    combobox.fill("")
    combobox.press_sequentially("droit à l'erreur", delay=25)
    wait_for_results(page, "droit à l'erreur")
    expected = api_titles(api, "droit à l'erreur")
    assert titles(widget) == expected

    # Now let the old answer arrive (if the browser still listens: the widget aborted it).
    stale = api.get("/search", params={"q": "covid", "k": 8}).json()
    with contextlib.suppress(PlaywrightError):
        held[0].fulfill(status=200, content_type="application/json", body=json.dumps(stale))
    page.wait_for_timeout(600)
    assert titles(widget) == expected
    assert widget.locator("#listbox").get_attribute("data-query") == "droit à l'erreur"
    assert page.evaluate("() => window.__events.filter(e => e.type === 'results').map(e => e.query)") == ["droit à l'erreur"]
    assert [r["title"] for r in stale["results"]][:3] != expected[:3], "the two queries have different results"


def test_short_text_sends_nothing_and_an_empty_result_says_so(page, live_server):
    widget = open_demo(page, live_server.url)
    searches = []
    page.on("request", lambda r: "/search?" in r.url and searches.append(r.url))
    type_query(widget, "l")
    page.wait_for_timeout(500)
    assert searches == [] and widget.locator(".panel").is_hidden()

    page.route("**/search?*", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps({"query": "lune", "mode": "hybrid", "results": [], "took_ms": 1})))
    widget.locator("#q").press_sequentially("une", delay=25)
    wait_for_results(page, "lune")
    message = widget.locator(".message")
    expect(message).to_contain_text("Aucun résultat pour « lune »")
    expect(widget.locator("[role=status]")).to_contain_text("Aucun résultat pour « lune »")
    expect(widget.locator("#q")).to_have_attribute("aria-expanded", "false")


def test_server_markup_is_shown_as_text_never_run(page, live_server):
    """A tampered index cannot inject HTML or scripts through titles, snippets or links."""
    widget = open_demo(page, live_server.url)
    hostile = {"query": "labo", "mode": "hybrid", "took_ms": 1, "results": [{
        "document_id": "x.md", "title": "<img src=x onerror=\"window.__pwned=1\">Titre piégé", "type": "guide", "tags": [],
        "url": "javascript:window.__pwned=2", "score": 1.0, "heading_path": "Titre piégé > Section", "chunk_id": "x.md#0",
        "page": None, "passages": [],
        "snippet": "<img src=x onerror=\"window.__pwned=3\"><mark>labo</mark> &lt;b&gt;gras&lt;/b&gt; <script>window.__pwned=4</script>",
    }]}
    page.route("**/search?*", lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(hostile)))
    type_query(widget, "labo")
    wait_for_results(page, "labo")
    option = widget.get_by_role("option")
    expect(option).to_have_count(1)
    assert widget.evaluate("w => w.shadowRoot.querySelectorAll('img, script, [onerror]').length") == 0
    assert widget.locator("mark").all_inner_texts() == ["labo"]
    assert "<b>gras</b>" in option.locator(".snippet").inner_text()  # escaped markup stays visible text
    assert option.locator(".title").inner_text().startswith("<img")
    assert option.get_attribute("data-url") is None
    widget.locator("#q").press("ArrowDown")
    widget.locator("#q").press("Enter")
    page.wait_for_timeout(300)
    assert page.url == live_server.url + "/"
    assert page.evaluate("() => window.__pwned") is None


# ---------- asking ----------

def test_ask_shows_a_cited_answer_and_feedback_reaches_the_api(page, live_server, default_service):
    widget = open_demo(page, live_server.url)
    question = "Quand a lieu le Mois de l'innovation publique ?"
    type_query(widget, question)
    with page.expect_request(lambda r: r.url.endswith("/ask")) as asked:
        widget.get_by_role("button", name="Poser la question").click()
    assert asked.value.headers.get("x-eclaireur-channel") == "widget"
    assert asked.value.post_data_json["question"] == question
    event = wait_for_answer(page)
    assert event["status"] == "answered" and event["citations"] >= 1

    answer = widget.locator("section.answer")
    expect(answer).to_be_visible()
    expect(answer.get_by_role("heading", name="Réponse")).to_be_visible()
    expect(answer.locator(".answer-text")).to_contain_text("novembre")
    reference = answer.locator(".answer-text a").first
    expect(reference).to_have_text("[1]")
    expect(reference).to_have_attribute("aria-label", re.compile(r"^Source 1 : .*Mois de l'innovation publique"))
    sources = answer.locator("ol li a")
    assert sources.count() == event["citations"]
    assert reference.get_attribute("href") == sources.first.get_attribute("href")
    assert sources.first.get_attribute("href").startswith(("http://", "https://"))
    expect(widget.locator("#q")).to_have_attribute("aria-expanded", "false")  # results make room for the answer
    expect(widget.locator("[role=status]")).to_have_text(re.compile(r"^Réponse disponible, \d+ sources?\.$"))

    records = sqlite3.connect(default_service.settings.records_path)
    assert records.execute("SELECT channel FROM answers WHERE answer_id = ?", (event["answerId"],)).fetchone() == ("widget",)
    useful = answer.get_by_role("button", name="Oui, cette réponse est utile")
    expect(useful).to_contain_text("👍")
    expect(answer.get_by_role("button", name="Non, cette réponse n'est pas utile")).to_contain_text("👎")
    with page.expect_response(lambda r: r.url.endswith("/feedback")) as sent:
        useful.click()
    assert sent.value.status == 200
    thanks = answer.get_by_text("Merci pour votre avis !")
    expect(thanks).to_be_visible()
    expect(thanks).to_be_focused()
    assert answer.get_by_role("button", name=re.compile("utile")).count() == 0
    assert records.execute("SELECT useful FROM feedback WHERE answer_id = ?", (event["answerId"],)).fetchone() == (1,)


def test_without_an_answer_the_closest_documents_show_their_highlighted_extracts(page, live_server):
    widget = open_demo(page, live_server.url)
    type_query(widget, "Quel salaire pour un designer dans un laboratoire ?")
    widget.get_by_role("button", name="Poser la question").click()
    assert wait_for_answer(page)["status"] == "no_answer"
    closest = widget.locator("section.answer ul li")
    assert closest.count() >= 1
    expect(closest.first.locator("a")).to_be_visible()
    # the question's words are highlighted: « designer », or « lab » for its « laboratoire »
    expect(widget.locator("section.answer ul li .snippet mark").first).to_have_text(re.compile("^(design|lab)", re.I))


def test_enter_asks_and_a_follow_up_keeps_the_conversation(page, live_server):
    widget = open_demo(page, live_server.url)
    combobox = widget.locator("#q")
    type_query(widget, "Quand a lieu le Mois de l'innovation publique ?")
    with page.expect_response(lambda r: r.url.endswith("/ask")) as first:
        combobox.press("Enter")  # no active result: Enter asks
    conversation = first.value.json()["conversation_id"]
    wait_for_answer(page)
    combobox.fill("")
    combobox.press_sequentially("et qui l'organise ?", delay=20)
    expect(widget.locator("section.answer")).to_be_hidden()  # typing something new puts the old answer away
    with page.expect_request(lambda r: r.url.endswith("/ask")) as second:
        combobox.press("Enter")
    assert second.value.post_data_json["conversation_id"] == conversation
    page.wait_for_function("() => window.__events.filter(e => e.type === 'answer').length >= 2", timeout=30_000)
    expect(widget.locator(".answer-text")).to_contain_text("DITP")


# ---------- errors ----------

@pytest.mark.network_errors_expected
def test_api_down_shows_a_french_message_never_a_blank_box(page, serve, default_service):
    server = serve(default_service)
    widget = open_demo(page, server.url)
    server.__exit__()  # the API stops while the page is open
    type_query(widget, "laboratoire")
    message = widget.locator(".panel .message")
    expect(message).to_contain_text("Le service de recherche est indisponible", timeout=15_000)
    expect(message.get_by_role("button", name="Réessayer")).to_be_visible()
    expect(widget.locator("[role=status]")).to_contain_text("Le service de recherche est indisponible")
    widget.locator("#q").press("Enter")
    expect(widget.locator("section.answer .message")).to_contain_text("Le service de recherche est indisponible", timeout=15_000)


@pytest.mark.network_errors_expected
def test_too_many_requests_says_when_to_try_again(page, serve, default_service):
    server = serve(default_service, ip_rate_limit_per_minute=1)
    widget = open_demo(page, server.url)
    widget.locator("#q").fill("laboratoire")  # one input event: one search, the only one allowed this minute
    wait_for_results(page, "laboratoire")
    widget.locator("#q").press_sequentially(" innovation", delay=25)
    expect(widget.locator(".panel .message")).to_have_text(re.compile(r"Trop de requêtes, réessayez dans \d+ s\."), timeout=15_000)
    expect(widget.locator("#q")).to_have_attribute("aria-expanded", "false")


def test_cross_origin_intranet_with_an_api_key_under_a_strict_csp(page, serve, default_service, intranet):
    """The issue's two lines on another origin, with a key, CORS, and a CSP forbidding any inline style or script."""
    server = serve(default_service, widget_api_keys=[WIDGET_KEY], cors_origins=[intranet.url])
    body = intranet_page(server.url, f'api-url="{server.url}" api-key="{WIDGET_KEY}" placeholder="Votre question" max-results="3"')
    csp = f"default-src 'none'; script-src {server.url}; connect-src {server.url}; img-src data:"
    page.goto(intranet.put("/", body, {"Content-Security-Policy": csp}))
    widget = page.locator("eclaireur-search")
    expect(widget.locator("#q")).to_have_attribute("placeholder", "Votre question")
    type_query(widget, "former les agents au design")
    event = wait_for_results(page, "former les agents au design")
    assert event["count"] == widget.get_by_role("option").count() == 3
    ask_button = widget.get_by_role("button", name="Poser la question")
    assert ask_button.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(0, 0, 145)"  # styled despite the CSP
    with page.expect_request(lambda r: r.url.endswith("/ask") and r.method == "POST") as asked:
        ask_button.click()
    assert asked.value.headers.get("x-api-key") == WIDGET_KEY
    wait_for_answer(page)
    expect(widget.locator("section.answer h2")).to_have_text("Réponse")


def test_with_keys_a_result_link_opens_the_document_in_a_plain_browser(page, serve, default_service, intranet):
    """The browser sends no key when it follows a link: the API hands out links signed for their document."""
    server = serve(default_service, widget_api_keys=[WIDGET_KEY], cors_origins=[intranet.url])
    page.goto(intranet.put("/", intranet_page(server.url, f'api-url="{server.url}" api-key="{WIDGET_KEY}"')))
    widget = page.locator("eclaireur-search")
    type_query(widget, "créer un laboratoire d'innovation")
    wait_for_results(page, "créer un laboratoire d'innovation")
    option = widget.locator("[role=option]").first
    target = option.get_attribute("data-url")
    assert target.startswith(f"{server.url}/documents/") and "sig=" in target and "exp=" in target
    title = option.locator(".title").inner_text()
    with page.expect_navigation() as navigation:
        option.click()
    assert navigation.value.status == 200 and page.url == target
    expect(page.locator("h1")).to_have_text(title)


@pytest.mark.network_errors_expected
def test_a_wrong_key_says_access_is_refused(page, serve, default_service, intranet):
    server = serve(default_service, widget_api_keys=[WIDGET_KEY], cors_origins=[intranet.url])
    # No api-url: the widget talks to the server its script came from.
    page.goto(intranet.put("/", intranet_page(server.url, 'api-key="mauvaise-cle"')))
    widget = page.locator("eclaireur-search")
    with page.expect_response(lambda r: "/search?" in r.url and r.request.method == "GET") as answered:
        type_query(widget, "laboratoire")
    assert answered.value.url.startswith(server.url) and answered.value.status == 401
    expect(widget.locator(".panel .message")).to_contain_text("Accès refusé : la clé d'API du widget est absente ou invalide")


# ---------- the host page cannot break it ----------

HOSTILE_CSS = """
html { font-size: 2px !important; }
body { font: 2px/0 "Comic Sans MS", cursive !important; color: white !important; letter-spacing: 6px !important;
       text-transform: uppercase !important; text-align: right !important; background: #fff; }
* { color: white !important; font-size: 2px !important; line-height: 0 !important; box-sizing: content-box !important; }
eclaireur-search { display: none !important; visibility: hidden !important; opacity: 0 !important; filter: blur(9px) !important; }
eclaireur-search * { display: none !important; }
mark { display: none !important; background: black !important; }
input, button, ul, li, p, div, span, label, form, section, h2 { display: none !important; margin: 90px !important; }
#q, #listbox, .option, .title, .badge, [role=option], [role=listbox] { display: none !important; }
"""


def test_hostile_host_css_does_not_break_the_widget(page, live_server, artifacts):
    body = intranet_page("", "", head=f"<style>{HOSTILE_CSS}</style>")
    page.route(f"{live_server.url}/intranet-hostile", lambda route: route.fulfill(status=200, content_type="text/html", body=body))
    page.goto(f"{live_server.url}/intranet-hostile")
    widget = page.locator("eclaireur-search")
    combobox = widget.locator("#q")
    expect(combobox).to_be_visible()
    type_query(widget, "prototypage avec les usagers")
    wait_for_results(page, "prototypage avec les usagers")
    expect(widget.get_by_role("option").first).to_be_visible()

    box = widget.bounding_box()
    assert box["height"] > 300 and box["width"] > 300
    styles = widget.evaluate("""w => {
        const root = w.shadowRoot, style = (selector) => getComputedStyle(root.querySelector(selector)), host = getComputedStyle(w);
        return { host: [host.display, host.opacity, host.visibility, host.filter],
                 input: [style('#q').fontSize, style('#q').color, Math.round(root.querySelector('#q').getBoundingClientRect().height)],
                 title: [style('.title').fontSize, style('.title').color, style('.title').letterSpacing, style('.title').textTransform],
                 mark: [style('mark').display, style('mark').backgroundColor] };
    }""")
    assert styles["host"] == ["block", "1", "visible", "none"]
    assert styles["input"][0] == "16px" and styles["input"][1] == "rgb(22, 22, 22)" and styles["input"][2] >= 40
    assert styles["title"] == ["16px", "rgb(0, 0, 145)", "normal", "none"]
    assert styles["mark"] == ["inline", "rgb(252, 238, 172)"]
    page.screenshot(path=str(artifacts / "widget-hostile-page.png"), full_page=True)


# ---------- accessibility and small screens ----------

def test_axe_finds_no_serious_or_critical_violation(make_page, live_server, axe_script):
    page = make_page(bypass_csp=True)  # axe is injected as an inline script, which the demo page's CSP forbids
    widget = open_demo(page, live_server.url)
    type_query(widget, "conduire une expérimentation")
    wait_for_results(page, "conduire une expérimentation")
    widget.locator("#q").press("ArrowDown")
    with_results = run_axe(page, axe_script)

    widget.locator("#q").press("Escape")
    widget.get_by_role("button", name="Poser la question").click()
    wait_for_answer(page)
    with_answer = run_axe(page, axe_script)

    blocking = [v for v in with_results + with_answer if v["impact"] in ("serious", "critical")]
    assert not blocking, json.dumps(blocking, ensure_ascii=False, indent=1)
    # The shadow DOM was really inspected: axe names a node inside it with a nested selector [host, inner].
    inside = page.evaluate("""async () => (await axe.run(document, { runOnly: ["aria-allowed-attr"] }))
        .passes.flatMap(rule => rule.nodes).filter(node => Array.isArray(node.target[0])).length""")
    assert inside > 5


@pytest.mark.parametrize(("name", "viewport", "scale"), [("360px", {"width": 360, "height": 740}, 1),
                                                          ("zoom-200", {"width": 640, "height": 450}, 2)])
def test_small_screens_and_200_percent_zoom_need_no_horizontal_scrolling(make_page, live_server, artifacts, name, viewport, scale):
    """A 1280 px window at 200 % zoom lays out like a 640 px viewport with 2 device pixels per CSS pixel."""
    page = make_page(viewport=viewport, device_scale_factor=scale, is_mobile=name == "360px", has_touch=name == "360px")
    widget = open_demo(page, live_server.url)
    type_query(widget, "former les agents au design")
    wait_for_results(page, "former les agents au design")
    widget.locator("#q").press("ArrowDown")
    width = viewport["width"]
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    for part in ("#q", ".ask", "[role=option] .title", "[role=option] .snippet"):
        box = widget.locator(part).first.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, part
    assert widget.locator("#q").bounding_box()["width"] >= 200
    page.screenshot(path=str(artifacts / f"widget-{name}.png"), full_page=True)
