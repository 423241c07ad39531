"""The HTTP API over a real server: search, documents, health, and errors a person can act on."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from assistant.api.document_page import render_document_page
from index.chunkstore import StoredDocument


def test_search_by_query_string_returns_grouped_documents(api):
    response = api.get("/search", params={"q": "Quand a lieu le Mois de l'innovation publique ?", "k": 5})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "Quand a lieu le Mois de l'innovation publique ?"
    assert body["mode"] == "hybrid" and body["took_ms"] > 0
    ids = [r["document_id"] for r in body["results"]]
    assert len(ids) == len(set(ids)) <= 5
    assert "mois-de-l-innovation-publique" in ids[0]
    first = body["results"][0]
    for field in ("score", "title", "heading_path", "snippet", "url", "chunk_id", "type", "tags", "passages"):
        assert field in first
    assert "<mark>" in first["snippet"]
    assert first["chunk_id"].startswith(first["document_id"] + "#")


def test_search_by_json_body_with_filters(api):
    response = api.post("/search", json={"q": "droit à l'erreur", "k": 10, "mode": "lexical", "type": ["faq"]})
    assert response.status_code == 200
    body = response.json()
    assert body["mode"] == "lexical"
    assert body["results"] and all(r["type"] == "faq" for r in body["results"])


def test_search_filters_by_folder_and_tag(api):
    by_folder = api.get("/search", params={"q": "laboratoire", "folder": "guides"}).json()["results"]
    assert by_folder and all(r["document_id"].startswith("guides/") for r in by_folder)
    tag = by_folder[0]["tags"][0]
    by_tag = api.get("/search", params={"q": "innovation", "tag": tag}).json()["results"]
    assert by_tag and all(tag in r["tags"] for r in by_tag)


@pytest.mark.parametrize("mode", ["dense", "lexical", "hybrid"])
def test_every_mode_answers(api, mode):
    body = api.get("/search", params={"q": "former les agents au design", "mode": mode}).json()
    assert body["mode"] == mode and body["results"]


def test_query_html_is_escaped_in_snippets(api):
    body = api.get("/search", params={"q": "<script>alert(1)</script> laboratoire"}).json()
    assert all("<script>" not in r["snippet"] for r in body["results"])


@pytest.mark.parametrize(("params", "expected"), [
    ({"q": ""}, "La question est vide"),
    ({"q": "    "}, "La question est vide"),
    ({}, "La question est vide"),
    ({"q": "x" * 1001}, "dépasse 1"),
    ({"q": "laboratoire", "k": 0}, "entre 1 et 50"),
    ({"q": "laboratoire", "k": 51}, "entre 1 et 50"),
    ({"q": "laboratoire", "k": "dix"}, "entre 1 et 50"),
    ({"q": "laboratoire", "mode": "semantique"}, "Mode « semantique » inconnu"),
    ({"q": "laboratoire", "type": "rapport"}, "Type « rapport » inconnu"),
])
def test_bad_query_parameters_get_a_french_422(api, params, expected):
    response = api.get("/search", params=params)
    assert response.status_code == 422
    body = response.json()
    assert expected in body["detail"]
    assert body["errors"] and all(e["message"] for e in body["errors"])


def test_bad_json_bodies_get_a_french_422(api):
    assert "JSON valide" in api.post("/search", content=b"{pas du json", headers={"Content-Type": "application/json"}).json()["detail"]
    response = api.post("/search", json={"q": "laboratoire", "inconnu": 1})
    assert response.status_code == 422 and "inconnu" in response.json()["detail"]
    response = api.post("/search", json=["laboratoire"])
    assert response.status_code == 422 and "objet JSON" in response.json()["detail"]


def test_document_by_id_returns_metadata_and_text(api):
    first = api.get("/search", params={"q": "laboratoire d'innovation", "k": 1}).json()["results"][0]
    response = api.get(f"/documents/{first['document_id']}")
    assert response.status_code == 200
    document = response.json()
    assert document["document_id"] == first["document_id"]
    assert document["title"] == first["title"] and len(document["text"]) > 500 and document["chunks"] >= 1


def test_unknown_document_is_a_french_404(api):
    response = api.get("/documents/guides/nexiste-pas.md")
    assert response.status_code == 404
    assert "introuvable" in response.json()["detail"]


def test_health_reports_model_and_index(api):
    body = api.get("/health").json()
    assert body["status"] == "ok" and body["ready"] is True
    assert body["model"] == "multilingual-e5-small" and len(body["model_fingerprint"]) == 16
    assert body["documents"] >= 20 and body["chunks"] > body["documents"]
    assert body["built_at"].startswith("20") and body["vector_index"] == "flat"
    assert body["build"] and "/" not in body["build"] and "index_path" not in body  # an id, never a server path


def test_openapi_documents_search_and_errors(api):
    schema = api.get("/openapi.json").json()
    assert {"/search", "/documents/{document_id}", "/health"} <= set(schema["paths"])
    assert "422" in schema["paths"]["/search"]["get"]["responses"]
    assert api.get("/docs").status_code == 200


def test_a_browser_opening_a_result_link_gets_a_readable_french_page(api):
    first = api.get("/search", params={"q": "Mois de l'innovation publique", "k": 1}).json()["results"][0]
    page = api.get(first["url"], headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<html lang="fr">' in page.text and f"<h1>{first['title']}</h1>".replace("'", "&#x27;") in page.text
    assert "Mis à jour le" in page.text and "novembre" in page.text
    assert "Rédigé pour Éclaireur" in page.text and "Pour aller plus loin : <a href=\"https://" in page.text
    assert "Source :" not in page.text  # the bundled texts were written for Éclaireur, not taken from a site
    assert api.get(first["url"]).headers["content-type"] == "application/json"


def test_a_document_page_runs_no_script_cannot_be_framed_and_leaks_no_referrer(api):
    first = api.get("/search", params={"q": "laboratoire d'innovation", "k": 1}).json()["results"][0]
    page = api.get(first["url"], headers={"Accept": "text/html"})
    policy = dict(rule.strip().split(" ", 1) for rule in page.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'none'" and policy["frame-ancestors"] == "'none'" and "script-src" not in policy
    style = re.search(r"<style>(.*?)</style>", page.text, re.S).group(1)
    assert policy["style-src"] == f"'sha256-{base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()}'"
    assert page.headers["referrer-policy"] == "no-referrer"


def test_a_document_taken_from_a_web_page_names_that_page_as_its_source():
    page = render_document_page(StoredDocument(
        "web/fiche.md", "Fiche", "guide", (), None, "web", {"source": "https://www.service-public.fr/fiche"},
        "Texte repris de la page.", 1))
    assert 'Source : <a href="https://www.service-public.fr/fiche">' in page
    assert "Rédigé pour Éclaireur" not in page and "Pour aller plus loin" not in page
