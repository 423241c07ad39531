"""Hostile input against a real server: oversized, malformed, deeply nested, control characters, markup.

Each case gets a 4xx with a French message a person can act on, or a correct 200 — never a 5xx — and the
server stays healthy (checked after every test). The corpus is the small one plus a FAQ whose title,
address and text carry HTML and JavaScript (``support.MARKUP_CORPUS``).

A query longer than 1,000 characters (10,000 words, say) is refused with a 422 naming the limit rather
than truncated: a cut question would be answered as if the person had asked something else.
"""

from __future__ import annotations

import html
import json
import socket

import httpx
import pytest
from selectolax.lexbor import LexborHTMLParser
from support import MARKUP, MARKUP_QUESTION, LiveServer

JSON = {"Content-Type": "application/json"}
MEGABYTE = 1024 * 1024
TOO_LARGE = "Requête trop volumineuse : 64 Kio au plus."


@pytest.fixture(scope="module")
def server(markup_service):
    from assistant.api.app import create_app

    with LiveServer(create_app(markup_service.settings, service=markup_service)) as live:
        yield live


@pytest.fixture()
def client(server):
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http
    with httpx.Client(base_url=server.url, timeout=30) as after:  # whatever the test sent, the server still serves
        assert after.get("/health").json()["ready"] is True
        assert after.get("/search", params={"q": "laboratoire"}).json()["results"]


def french_error(response: httpx.Response, status: int, *fragments: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert all(fragment in body["detail"] for fragment in fragments), body["detail"]
    return body


def raw_request(server: LiveServer, request: bytes) -> bytes:
    """Bytes no HTTP client would send, straight on the socket; the server's whole answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


# ---------- size and structure ----------

@pytest.mark.parametrize("path", ["/search", "/ask", "/feedback"])
@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
def test_a_one_megabyte_body_gets_413_with_the_limit(client, path, streamed):
    body = b'{"q": "' + b"a" * MEGABYTE + b'"}'
    response = client.post(path, content=iter([body]) if streamed else body, headers=JSON)
    french_error(response, 413, TOO_LARGE)


@pytest.mark.parametrize(("body", "status", "message"), [
    (b"[" * 100_000, 413, TOO_LARGE),
    (b"[" * 60_000, 422, "imbriqué trop profondément"),
    (b'{"q": "laboratoire", "filters": ' + b'{"a": ' * 10_000, 422, "imbriqué trop profondément"),
    (b'{"q": "laboratoire", "k": ' + b"9" * 5000 + b"}", 422, "n'est pas un JSON valide"),
], ids=["100k-crochets", "60k-crochets", "objets-imbriques", "entier-geant"])
def test_deeply_nested_or_monstrous_json_is_refused_not_crashed(client, body, status, message):
    french_error(client.post("/ask", content=body, headers=JSON), status, message)


# ---------- encodings and invisible characters ----------

def test_invalid_utf8_in_a_body_is_a_422_that_says_so(client):
    response = client.post("/search", content=b'{"q": "laboratoire \xff\xfe"}', headers=JSON)
    body = french_error(response, 422, "n'est pas du texte UTF-8 valide")
    assert body["errors"] == [{"field": "corps", "message": body["detail"]}]


@pytest.mark.parametrize(("path", "payload", "field"), [
    ("/search", b'{"q": "laboratoire \\ud800"}', "q"),
    ("/search", b'{"q": "laboratoire", "mode": "\\udc00"}', "mode"),
    ("/feedback", b'{"answer_id": "\\ud800", "useful": true}', "answer_id"),
    ("/feedback", b'{"answer_id": "abc", "useful": false, "comment": "\\udfff"}', "comment"),
])
def test_lone_surrogates_escaped_in_json_are_refused(client, path, payload, field):
    body = french_error(client.post(path, content=payload, headers=JSON), 422, "demi-paires UTF-16 isolées")
    assert [e["field"] for e in body["errors"]] == [field]


def test_invalid_utf8_in_the_query_string_becomes_replacement_characters(client):
    response = client.get("/search?q=%FF%FElaboratoire")
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "\ufffd\ufffdlaboratoire" and body["results"][0]["document_id"] == "guides/laboratoires.md"


def test_raw_bytes_in_the_request_line_are_refused_by_the_http_server(server):
    answer = raw_request(server, b"GET /search?q=\xff\xfe HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 ")  # uvicorn's own answer, before the application sees anything


@pytest.mark.parametrize(("sent", "kept"), [
    ("laboratoire\x00 d'innovation", "laboratoire  d'innovation"),
    ("\x1b[2Jlaboratoire\x07", "[2Jlaboratoire"),
    ("\u202elaboratoire\u202c d'innovation\u2066", "laboratoire d'innovation"),
])
def test_control_characters_and_bidi_overrides_are_removed_from_queries(client, sent, kept):
    response = client.get("/search", params={"q": sent})
    assert response.status_code == 200 and response.json()["query"] == kept
    assert response.json()["results"][0]["document_id"] == "guides/laboratoires.md"


@pytest.mark.parametrize("question", ["\x00\x00\x00", "\u202e\u202d", "\x1b\x07 \t"])
def test_a_question_made_only_of_invisible_characters_is_empty(client, question):
    french_error(client.post("/ask", json={"question": question}), 422, "La question est vide")


def test_a_question_behind_a_right_to_left_override_is_answered(client):
    response = client.post("/ask", json={"question": "\u202eQuand a lieu le Mois de l'innovation publique ?"})
    assert response.status_code == 200
    assert response.json()["status"] == "answered" and "novembre" in response.json()["answer"]


# ---------- repeated parameters ----------

def test_a_single_valued_parameter_given_twice_is_refused_not_silently_cut(client):
    response = client.get("/search", params=[("q", "laboratoire"), ("folder", "faq"), ("folder", "guides")])
    body = french_error(response, 422, "Le paramètre « folder » ne prend qu'une valeur : il est donné 2 fois.")
    assert [e["field"] for e in body["errors"]] == ["folder"]
    french_error(client.get("/search", params=[("q", "laboratoire"), ("q", "atelier")]), 422, "« q »")


def test_a_list_parameter_takes_every_repeat(client):
    response = client.get("/search", params=[("q", "laboratoire"), ("type", "guide"), ("type", "faq"),
                                             ("tag", "laboratoire"), ("tag", "atelier")])
    assert response.status_code == 200 and response.json()["results"]


def test_the_check_reads_every_route_parameter_and_query_model():
    from assistant.api.query_string import query_parameters
    from assistant.api.routers import admin, search

    routes = {route.path: route for router in (search.router, admin.router) for route in router.routes if "GET" in route.methods}
    assert query_parameters(routes["/search"]) == {"q": False, "k": False, "mode": False, "type": True,
                                                              "tag": True, "folder": False, "rerank": False}
    assert query_parameters(routes["/admin/gaps"]) == {"days": False, "reviewed": False, "limit": False}


# ---------- length ----------

TEN_THOUSAND_WORDS = " ".join(["mot"] * 10_000)


def test_a_ten_thousand_word_query_is_refused_naming_the_limit(client):
    response = client.get("/search", params={"q": TEN_THOUSAND_WORDS})
    french_error(response, 422, "La question dépasse 1\u202f000 caractères (39999 reçus) : raccourcissez-la.")


def test_a_ten_thousand_word_question_is_refused_naming_the_limit(client):
    response = client.post("/ask", json={"question": TEN_THOUSAND_WORDS})
    french_error(response, 422, "dépasse 1\u202f000 caractères")


# ---------- markup ----------

@pytest.mark.parametrize("query", ["<script>alert(1)</script> atelier", f"{MARKUP} atelier co-conception"])
def test_markup_in_a_query_comes_back_as_data_never_as_markup(client, query):
    response = client.get("/search", params={"q": query})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["query"] == query  # JSON carries it as a string; clients render it as text
    assert all("<script" not in r["snippet"] and "<img" not in r["snippet"] for r in body["results"])


def test_results_and_answers_from_a_document_full_of_markup_are_safe_to_render(client):
    result = next(r for r in client.get("/search", params={"q": "atelier co-conception consigne"}).json()["results"]
                  if r["document_id"] == "faq/ateliers.md")
    assert result["title"] == f"Ateliers {MARKUP} <script>window.__pwned=1</script>"  # data, rendered as text by clients
    assert result["url"] == "/documents/faq/ateliers.md"  # the document's javascript: address is never handed out
    assert "<mark>" in result["snippet"] and "&lt;b&gt;" in result["snippet"] and "<b>" not in result["snippet"]
    answer = client.post("/ask", json={"question": MARKUP_QUESTION}).json()
    assert answer["status"] == "answered" and "<b>la consigne</b>" in answer["answer"]  # plain text, to be escaped
    assert {c["url"] for c in answer["citations"]} == {"/documents/faq/ateliers.md"}


def test_the_document_page_escapes_the_markup_of_its_title_and_text(client):
    response = client.get("/documents/faq/ateliers.md", headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = LexborHTMLParser(response.text)
    assert page.css("script, img, b") == [] and all(a.attributes["href"].startswith("/") for a in page.css("a"))
    assert MARKUP not in response.text and html.escape(MARKUP) in response.text
    assert page.css_first("h1").text() == f"Ateliers {MARKUP} <script>window.__pwned=1</script>"
    assert '<a href="javascript:window.__pwned=1">le programme</a>' in page.css_first("main").text()


def test_a_document_id_with_markup_gets_a_json_404_never_html(client):
    response = client.get("/documents/<script>alert(1)</script>", headers={"Accept": "text/html"})
    body = french_error(response, 404, "introuvable dans l'index")
    assert json.loads(response.text) == body


def test_no_response_may_be_sniffed_as_html(client):
    for response in (client.get("/search", params={"q": "<script>alert(1)</script>"}), client.get("/documents/absent"),
                     client.post("/ask", content=b"{")):
        assert response.headers["x-content-type-options"] == "nosniff"


def test_document_links_are_percent_encoded():
    from assistant.api.document_page import document_url

    assert document_url(None, "guides/fiche été #2.md") == "/documents/guides/fiche%20%C3%A9t%C3%A9%20%232.md"


def test_a_hostile_host_header_cannot_inject_into_the_demo_page(client):
    response = client.get("/", headers={"Host": '"><script>window.__pwned=1</script>'})
    assert response.status_code == 200
    scripts = LexborHTMLParser(response.text).css("script")
    assert [s.attributes.get("src") for s in scripts] == ["/widget.js"] and "<script>window.__pwned" not in response.text


# ---------- methods and addresses ----------

def test_a_wrong_method_names_the_right_ones(client):
    response = client.put("/search", json={"q": "laboratoire"})
    french_error(response, 405, "Méthode PUT non acceptée sur /search : utilisez GET ou POST.")
    assert response.headers["allow"] == "GET, POST"


def test_an_unknown_address_points_to_the_documentation(client):
    french_error(client.get("/recherche"), 404, "Adresse inconnue : /recherche", "/docs")
