"""MCP over Streamable HTTP on ``/mcp``: what an AI assistant lists and calls, with the API's keys, limits and records."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from mcp.shared.exceptions import MCPError
from mcp_clients import ADMIN_KEY, SEARCH_KEY, mcp_error, over_http
from support import LiveServer, run_async

from assistant.api.app import create_app
from assistant.mcp.errors import ACCESS_DENIED, RETRY_LATER
from assistant.mcp.server import build_server
from assistant.mcp.tools import MAX_DOCUMENT_CHARS


def call(api_url: str, name: str, arguments: dict, key: str = SEARCH_KEY):
    async def calling():
        async with over_http(api_url, key) as client:
            return await client.call_tool(name, arguments)

    return run_async(calling())


def refusal(api_url: str, name: str, arguments: dict, key: str | None = SEARCH_KEY) -> MCPError:
    async def calling():
        async with over_http(api_url, key) as client:
            await client.call_tool(name, arguments)

    return mcp_error(calling())


def test_lists_three_tools_the_documents_and_the_prompt(mcp_api):
    async def listing():
        async with over_http(mcp_api.url) as client:
            first = await client.list_resources(cursor="0")
            following = await client.list_resources(cursor="3")
            return (await client.list_tools(), first, following, await client.list_resource_templates(),
                    await client.list_prompts())

    tools, resources, following, templates, prompts = run_async(listing())
    assert [tool.name for tool in tools.tools] == ["rechercher", "repondre", "lire_document"]
    for tool in tools.tools:
        assert "corpus" in tool.description and tool.output_schema is not None
    assert tools.tools[1].input_schema["required"] == ["question"]
    documents = resources.resources
    assert len(documents) > 3 and all(d.uri == f"eclaireur://documents/{d.name}" and d.title for d in documents)
    assert [d.name for d in documents] == sorted(d.name for d in documents)
    assert [d.name for d in following.resources] == [d.name for d in documents[3:]]  # the cursor is where a page starts
    assert [t.uri_template for t in templates.resource_templates] == ["eclaireur://documents/{+document_id}"]
    assert [p.name for p in prompts.prompts] == ["citer_les_sources"]


def test_rechercher_ranks_passages_with_title_path_clean_snippet_and_url(mcp_api):
    result = call(mcp_api.url, "rechercher", {"question": "créer un laboratoire d'innovation", "k": 3})
    assert not result.is_error
    passages = result.structured_content["passages"]
    assert [p["rank"] for p in passages] == [1, 2, 3]
    assert passages[0]["score"] >= passages[-1]["score"]
    first = passages[0]
    assert "laboratoire" in (first["title"] + first["heading_path"] + first["snippet"]).lower()
    assert " > " in first["heading_path"] or first["heading_path"] == first["title"]
    assert all("<mark>" not in p["snippet"] and "&#x27;" not in p["snippet"] for p in passages)
    assert all(p["url"].startswith(("http://", "https://")) for p in passages)
    assert json.loads(result.content[0].text) == result.structured_content  # the same JSON for clients without schemas


def test_rechercher_filters_by_type(mcp_api):
    result = call(mcp_api.url, "rechercher", {"question": "droit à l'erreur", "k": 5, "type": "faq"})
    assert result.structured_content["passages"] and {p["type"] for p in result.structured_content["passages"]} == {"faq"}


def test_repondre_cites_its_sources_and_continues_a_conversation(mcp_api):
    async def conversation():
        async with over_http(mcp_api.url) as client:
            first = await client.call_tool("repondre", {"question": "Quand a lieu le Mois de l'innovation publique ?"})
            follow = await client.call_tool("repondre", {"question": "et qui l'organise ?",
                                                         "conversation_id": first.structured_content["conversation_id"]})
            return first.structured_content, follow.structured_content

    first, follow = run_async(conversation())
    assert first["status"] == "answered" and "novembre" in first["answer"] and first["citations"]
    assert "[1]" in first["answer"] and first["citations"][0]["url"].startswith("http://127.0.0.1")
    assert 0 < first["confidence"] <= 1
    assert follow["conversation_id"] == first["conversation_id"]
    sources = [c["document_id"] for c in follow["citations"]] + [r["document_id"] for r in follow["related"]]
    assert any("mois" in source for source in sources)  # the follow-up kept the conversation's subject


def test_repondre_without_an_answer_is_a_result_not_an_error(mcp_api):
    result = call(mcp_api.url, "repondre", {"question": "Quel salaire pour un designer dans un laboratoire ?"})
    assert not result.is_error
    assert result.structured_content["status"] == "no_answer" and result.structured_content["citations"] == []
    related = result.structured_content["related"]
    assert related and all(r["snippet"] and "<mark>" not in r["snippet"] for r in related)  # plain text for an assistant


def test_lire_document_returns_its_text_bounded_and_its_metadata(mcp_api, default_service):
    document_id = "faq/faq-mois-de-l-innovation-publique.md"
    full = default_service.document(document_id).text
    whole = call(mcp_api.url, "lire_document", {"document_id": document_id}).structured_content
    assert whole["title"] and whole["type"] == "faq" and whole["url"].startswith("http://")
    assert whole["text"] == full[:MAX_DOCUMENT_CHARS] and whole["total_chars"] == len(full)
    assert whole["next_offset"] is None
    rest = call(mcp_api.url, "lire_document", {"document_id": document_id, "offset": 100}).structured_content
    assert rest["text"] == full[100:] and rest["offset"] == 100


def test_each_document_reads_by_its_uri(mcp_api):
    async def reading():
        async with over_http(mcp_api.url) as client:
            return await client.read_resource("eclaireur://documents/faq/faq-mois-de-l-innovation-publique.md")

    content = run_async(reading()).contents[0]
    assert content.mime_type == "application/json"
    assert json.loads(content.text)["document_id"] == "faq/faq-mois-de-l-innovation-publique.md"


def test_the_prompt_tells_how_to_use_the_tools_and_cite(mcp_api):
    async def prompt():
        async with over_http(mcp_api.url) as client:
            return await client.get_prompt("citer_les_sources", {"question": "Qu'est-ce qu'un laboratoire ?"})

    text = run_async(prompt()).messages[0].content.text
    assert all(word in text for word in ("repondre", "rechercher", "lire_document", "no_answer", "[1]"))
    assert "Qu'est-ce qu'un laboratoire ?" in text


@pytest.mark.parametrize(("arguments", "expected"), [
    ({"question": ""}, "La question est vide"),
    ({"question": "x" * 1001}, "La question dépasse 1\u202f000 caractères"),
    ({"question": "laboratoire", "k": 0}, "entier entre 1 et 50"),
    ({"question": "laboratoire", "type": "pdf"}, "Type « pdf » inconnu"),
    ({"question": "laboratoire", "page": 2}, "Argument « page » inconnu pour rechercher"),
    ({}, "La question est vide"),
])
def test_bad_arguments_get_a_french_mcp_error(mcp_api, arguments, expected):
    error = refusal(mcp_api.url, "rechercher", arguments)
    assert expected in error.message and error.code == -32602


def test_unknown_tools_documents_resources_and_prompts_get_french_errors(mcp_api):
    assert "Outil « effacer_tout » inconnu" in refusal(mcp_api.url, "effacer_tout", {}).message
    assert "Document « absent.md » introuvable" in refusal(mcp_api.url, "lire_document", {"document_id": "absent.md"}).message

    def reading(uri: str):
        async def calling():
            async with over_http(mcp_api.url) as client:
                await client.read_resource(uri)
        return calling()

    async def prompting():
        async with over_http(mcp_api.url) as client:
            await client.get_prompt("tout_oublier")

    assert "Document « absent.md » introuvable" in mcp_error(reading("eclaireur://documents/absent.md")).message
    assert "Ressource « file:///etc/passwd » inconnue" in mcp_error(reading("file:///etc/passwd")).message
    assert "Prompt « tout_oublier » inconnu" in mcp_error(prompting()).message


def test_without_configured_keys_local_assistants_are_served(live_server):
    result = call(live_server.url, "rechercher", {"question": "laboratoire d'innovation", "k": 1}, key=None)
    assert len(result.structured_content["passages"]) == 1


def test_a_missing_or_wrong_key_is_refused_in_french(mcp_api):
    for key in (None, "cle-inconnue-0123456789abcdef"):
        error = refusal(mcp_api.url, "rechercher", {"question": "laboratoire"}, key=key)
        assert error.code == ACCESS_DENIED and "Clé d'API manquante ou invalide" in error.message
        assert error.data["status"] == 401


def test_another_keys_conversation_is_unknown(default_service):
    settings = default_service.settings.model_copy(update={"api_keys": [SEARCH_KEY, SEARCH_KEY.upper()]})
    with LiveServer(create_app(settings, service=default_service)) as server:
        mine = call(server.url, "repondre", {"question": "Qu'est-ce que le droit à l'erreur ?"}).structured_content
        error = refusal(server.url, "repondre", {"question": "et ensuite ?", "conversation_id": mine["conversation_id"]},
                        key=SEARCH_KEY.upper())
    assert "inconnue pour cette clé" in error.message and error.data["status"] == 404


def test_a_question_costs_like_ask_and_the_rate_limit_says_when_to_retry(default_service):
    settings = default_service.settings.model_copy(update={"api_keys": [SEARCH_KEY], "rate_limit_per_minute": 12})

    async def asking():
        answered = 0
        async with over_http(server.url) as client:
            try:
                for _ in range(5):
                    await client.call_tool("repondre", {"question": "Qu'est-ce qu'un laboratoire d'innovation ?"})
                    answered += 1
            except MCPError as error:
                return answered, error
        return answered, None

    with LiveServer(create_app(settings, service=default_service)) as server:
        answered, error = run_async(asking())
    assert answered == 2  # 12 tokens: a question costs 5, like /ask (its HTTP request included)
    assert error is not None and error.code == RETRY_LATER
    assert "Trop de requêtes : réessayez dans" in error.message and error.data["retry_after"] >= 1


def test_calls_are_recorded_with_channel_mcp_and_unanswered_ones_show_in_the_gaps(mcp_api):
    call(mcp_api.url, "repondre", {"question": "Comment financer un projet d'innovation publique ?"})
    unanswered = call(mcp_api.url, "repondre", {"question": "Combien coûte un abonnement de piscine municipale ?"})
    assert unanswered.structured_content["status"] == "no_answer"
    admin = {"X-API-Key": ADMIN_KEY}
    stats = httpx.get(f"{mcp_api.url}/admin/stats", headers=admin, timeout=30).json()
    assert stats["per_day"][-1]["channels"].get("mcp", 0) >= 2
    gaps = httpx.get(f"{mcp_api.url}/admin/gaps", headers=admin, timeout=30).json()["gaps"]
    assert any("piscine" in example for gap in gaps for example in gap["examples"])


def test_hostile_requests_get_clean_errors_never_a_500_or_a_hung_session(mcp_api):
    headers = {"X-API-Key": SEARCH_KEY, "Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    with httpx.Client(base_url=mcp_api.url, headers=headers, timeout=10) as client:
        huge = client.post("/mcp", content=json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
            "name": "rechercher", "arguments": {"question": "x" * 70_000}}}))
        assert huge.status_code == 413 and "Requête trop volumineuse" in huge.json()["error"]["message"]
        for body, expected in (("{pas du json", "pas du JSON valide"), ("[]", "Message JSON-RPC 2.0 invalide"),
                               (json.dumps({"jsonrpc": "2.0", "id": 2, "method": "outil/inconnu"}), "Méthode « outil/inconnu » inconnue")):
            response = client.post("/mcp", content=body)
            assert response.status_code < 500 and expected in response.json()["error"]["message"]
        refused = client.post("/mcp", content="{}", headers={"Content-Type": "text/plain"})
        assert refused.status_code == 400 and "application/json" in refused.json()["error"]["message"]
        for method in ("GET", "PUT", "DELETE"):  # nothing is pushed on a stream, no session lingers
            refused = client.request(method, "/mcp")
            assert refused.status_code == 405 and "utilisez POST" in refused.json()["error"]["message"]


def test_cors_follows_the_api_rules(default_service):
    settings = default_service.settings.model_copy(update={"api_keys": [SEARCH_KEY], "cors_origins": ["https://intranet.example"]})
    preflight = {"Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type,x-api-key,mcp-protocol-version"}
    with LiveServer(create_app(settings, service=default_service)) as server:
        allowed = httpx.options(f"{server.url}/mcp", headers=preflight | {"Origin": "https://intranet.example"})
        other = httpx.options(f"{server.url}/mcp", headers=preflight | {"Origin": "https://ailleurs.example"})
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == "https://intranet.example"
    assert "access-control-allow-origin" not in other.headers


def test_building_the_mcp_server_leaves_the_logging_setup_to_the_application():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    build_server()
    assert root.handlers == handlers and root.level == level
