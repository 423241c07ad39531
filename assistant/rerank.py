"""Optional remote reranker: an OpenAI-style ``POST {base}/v1/rerank`` endpoint (Albert API, vLLM, Infinity).

It reorders the best documents of a search by a cross-encoder's judgement of their best passage. Any failure
(timeout, HTTP error, malformed answer) is raised as ``RerankError`` with a French reason, so the caller keeps
its own order and says why.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx


class RerankError(RuntimeError):
    """The reranker failed, timed out or answered unusably; the message says how, in French."""


@dataclass(frozen=True)
class RerankConfig:
    base_url: str
    model: str
    api_key: str | None = None
    timeout_seconds: float = 3.0
    top_n: int = 20  # documents sent to the reranker: it can bring one of them into the first k


class RerankClient:
    def __init__(self, config: RerankConfig) -> None:
        self.config = config
        headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
        self._http = httpx.Client(base_url=config.base_url.rstrip("/"), headers=headers, timeout=config.timeout_seconds)

    def rerank(self, query: str, documents: list[str]) -> list[tuple[int, float]]:
        """``(index in documents, relevance)``, most relevant first; a document the server left out is not listed."""
        payload = {"model": self.config.model, "query": query, "documents": documents, "top_n": len(documents)}
        try:
            response = self._http.post("/v1/rerank", json=payload)
            response.raise_for_status()
            results = response.json()["results"]
            ranked = [(int(item["index"]), float(item["relevance_score"])) for item in results]
        except httpx.TimeoutException:
            raise RerankError(f"le reclasseur n'a pas répondu en {self.config.timeout_seconds:g} s") from None
        except httpx.HTTPStatusError as error:
            raise RerankError(f"le reclasseur a répondu par une erreur HTTP {error.response.status_code}") from None
        except httpx.HTTPError as error:
            raise RerankError(f"le reclasseur est injoignable ({error.__class__.__name__})") from None
        except (ValueError, KeyError, TypeError):
            raise RerankError("la réponse du reclasseur est illisible") from None
        indexes = [index for index, _ in ranked]
        if len(set(indexes)) != len(indexes) or not all(0 <= index < len(documents) for index in indexes):
            raise RerankError("la réponse du reclasseur désigne des passages inexistants ou en double")
        return sorted(ranked, key=lambda item: -item[1])
