"""``eclaireur mcp`` over stdio, as a desktop client launches it: it relays to the running API, whose keys, limits,
records and French errors apply unchanged."""

from __future__ import annotations

import httpx
from mcp_clients import ADMIN_KEY, SEARCH_KEY, mcp_error, over_stdio
from support import LiveServer, free_port, run_async

from assistant.api.app import create_app
from assistant.mcp.errors import ACCESS_DENIED, RETRY_LATER


def test_lists_and_calls_every_tool_and_continues_a_conversation(mcp_api):
    async def session():
        async with over_stdio(mcp_api.url) as client:
            tools = await client.list_tools()
            resources = await client.list_resources()
            prompts = await client.list_prompts()
            found = await client.call_tool("rechercher", {"question": "droit à l'erreur", "k": 2})
            document_id = found.structured_content["passages"][0]["document_id"]
            read = await client.call_tool("lire_document", {"document_id": document_id})
            resource = await client.read_resource(resources.resources[0].uri)
            first = await client.call_tool("repondre", {"question": "Quand a lieu le Mois de l'innovation publique ?"})
            follow = await client.call_tool("repondre", {"question": "et qui l'organise ?",
                                                         "conversation_id": first.structured_content["conversation_id"]})
            return tools, resources, prompts, found, read, resource, first, follow

    tools, resources, prompts, found, read, resource, first, follow = run_async(session())
    assert [tool.name for tool in tools.tools] == ["rechercher", "repondre", "lire_document"]
    assert resources.resources and [p.name for p in prompts.prompts] == ["citer_les_sources"]
    assert len(found.structured_content["passages"]) == 2
    assert read.structured_content["document_id"] == found.structured_content["passages"][0]["document_id"]
    assert resource.contents[0].text.startswith("{")
    assert first.structured_content["status"] == "answered" and first.structured_content["citations"]
    assert follow.structured_content["conversation_id"] == first.structured_content["conversation_id"]
    stats = httpx.get(f"{mcp_api.url}/admin/stats", headers={"X-API-Key": ADMIN_KEY}, timeout=30).json()
    assert stats["per_day"][-1]["channels"].get("mcp", 0) >= 2  # recorded by the API, on channel mcp


def test_bad_arguments_and_a_wrong_key_come_back_as_french_mcp_errors(mcp_api):
    async def bad_arguments():
        async with over_stdio(mcp_api.url) as client:
            await client.call_tool("rechercher", {"question": "laboratoire", "k": 99})

    async def wrong_key():
        async with over_stdio(mcp_api.url, key="cle-inconnue-0123456789abcdef") as client:
            await client.call_tool("rechercher", {"question": "laboratoire"})

    assert "entier entre 1 et 50" in mcp_error(bad_arguments()).message
    refused = mcp_error(wrong_key())
    assert refused.code == ACCESS_DENIED and "Clé d'API manquante ou invalide" in refused.message


def test_the_rate_limit_comes_back_with_its_retry_delay(default_service):
    settings = default_service.settings.model_copy(update={"api_keys": [SEARCH_KEY], "rate_limit_per_minute": 7})

    async def asking():
        async with over_stdio(server.url) as client:
            await client.call_tool("repondre", {"question": "Qu'est-ce qu'un laboratoire d'innovation ?"})
            await client.call_tool("repondre", {"question": "Qu'est-ce qu'un laboratoire d'innovation ?"})

    with LiveServer(create_app(settings, service=default_service)) as server:
        error = mcp_error(asking())
    assert error.code == RETRY_LATER and "réessayez dans" in error.message and error.data["retry_after"] >= 1


def test_an_unreachable_api_is_a_french_error_not_a_crash():
    async def calling():
        async with over_stdio(f"http://127.0.0.1:{free_port()}") as client:
            await client.call_tool("rechercher", {"question": "laboratoire"})

    error = mcp_error(calling())
    assert error.code == RETRY_LATER and "API Éclaireur injoignable" in error.message
