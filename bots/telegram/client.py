"""The bot's HTTP client for the Éclaireur API; failures become exceptions the handlers turn into French."""

from __future__ import annotations

import httpx


class ApiError(Exception):
    """The API could not serve the request."""


class ApiUnavailable(ApiError):
    """Down, unreachable, too slow or failing (network error, timeout, 5xx)."""


class ApiRateLimited(ApiError):
    """429, or 503 with ``Retry-After`` when the API sheds load: the agent is told how long to wait."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


class ApiRefused(ApiError):
    """The bot's key is missing, wrong or lacks the scope (401/403)."""


class ApiRejected(ApiError):
    """The request was invalid (4xx); ``detail`` is the API's French message."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class EclaireurClient:
    CHANNEL = "telegram"

    def __init__(self, base_url: str, api_key: str | None = None, timeout: float = 30.0) -> None:
        headers = {"X-Eclaireur-Channel": self.CHANNEL}
        if api_key:
            headers["X-API-Key"] = api_key
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout,
                                       limits=httpx.Limits(max_connections=64, max_keepalive_connections=32))

    async def ask(self, question: str, conversation_id: str | None) -> dict:
        return await self._call("POST", "/ask", json={"question": question, "conversation_id": conversation_id})

    async def search(self, query: str, k: int = 5) -> dict:
        return await self._call("GET", "/search", params={"q": query, "k": k})

    async def feedback(self, answer_id: str, useful: bool, comment: str | None = None) -> None:
        await self._call("POST", "/feedback", json={"answer_id": answer_id, "useful": useful, "comment": comment})

    async def forget(self, conversation_id: str) -> None:
        try:
            await self._call("DELETE", f"/conversations/{conversation_id}")
        except ApiRejected:
            pass  # already expired or forgotten: the outcome the agent wants

    async def close(self) -> None:
        await self._http.aclose()

    async def _call(self, method: str, path: str, **kwargs) -> dict:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise ApiUnavailable(f"{error.__class__.__name__}: {error}") from None
        if response.status_code == 429 or (response.status_code == 503 and "Retry-After" in response.headers):
            raise ApiRateLimited(_retry_after(response))
        if response.status_code in (401, 403):
            raise ApiRefused(_detail(response))
        if response.status_code >= 500:
            raise ApiUnavailable(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise ApiRejected(_detail(response))
        return response.json() if response.content else {}


def _retry_after(response: httpx.Response) -> int:
    """The seconds the API asks to wait (429, or 503 when it sheds load); 5 when it does not say."""
    value = response.headers.get("Retry-After", "")
    return int(value) if value.isdigit() else 5


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", response.text))
    except ValueError:
        return response.text[:200]
