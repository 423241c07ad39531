"""Generated tool calls against a live ``/mcp``: whatever the arguments or the tool name, a clean JSON-RPC answer.

Like ``tests/api/test_schema_fuzz.py``: derandomized by default (the same calls in CI and ``make test``), a new seed
with ``FUZZ_MODE=random`` and more calls with ``FUZZ_EXAMPLES``. Each call must answer within its timeout, never with
a 5xx or a tool crash (``isError``): a result, or an MCP error whose message says what was wrong.
"""

from __future__ import annotations

import json
import os

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st
from mcp_clients import SEARCH_KEY

RANDOM = os.environ.get("FUZZ_MODE") == "random"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
TOOLS = ["rechercher", "repondre", "lire_document"]
PARAMETERS = ["question", "k", "type", "tag", "conversation_id", "document_id", "offset"]
HEADERS = {"X-API-Key": SEARCH_KEY, "Accept": "application/json, text/event-stream", "Content-Type": "application/json"}

scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
           | st.sampled_from(["", " \t", "\ud800", "\u202e", "faq", "guide", "laboratoire", "../../etc/passwd", -1, 0, 51,
                              10**30, "x" * 1001, "é" * 5000]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                      max_leaves=8)
arguments = st.dictionaries(st.sampled_from(PARAMETERS) | st.text(max_size=12), values, max_size=4)
names = st.sampled_from(TOOLS) | st.text(max_size=30)


@settings(max_examples=EXAMPLES, derandomize=not RANDOM, deadline=None, database=None)
@given(name=names, args=arguments | st.sampled_from([[], "texte", 3, None]))
def test_any_tool_call_gets_a_result_or_a_clean_mcp_error(mcp_api, name, args):
    body = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": name, "arguments": args}}
    response = httpx.post(f"{mcp_api.url}/mcp", content=json.dumps(body), headers=HEADERS, timeout=30)
    assert response.status_code < 500
    answer = response.json()
    if "error" in answer:
        assert answer["error"]["message"].strip() and answer["error"]["code"] < 0
    else:
        assert answer["id"] == 7 and not answer["result"].get("isError"), answer["result"]
