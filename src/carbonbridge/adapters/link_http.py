"""The link over HTTP: posts signed envelopes to the partner registry's
`POST /api/v1/link/{partner}/messages` (httpx, one pooled client)."""

from __future__ import annotations

from typing import Any

import httpx

MESSAGES = "/api/v1/link/{partner}/messages"


class HttpLink:
    """Transport (status code: 0 for no answer) and query (the partner's JSON answer) to one partner."""

    def __init__(self, base_url: str, *, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = httpx.Client(base_url=self.base_url, timeout=timeout)

    def deliver(self, partner: str, document: dict[str, Any]) -> int:
        try:
            return self.client.post(MESSAGES.format(partner=partner), json=document).status_code
        except httpx.HTTPError:
            return 0

    def query(self, partner: str, document: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post(MESSAGES.format(partner=partner), json=document)
        found: dict[str, Any] = response.json()
        return found

    def close(self) -> None:
        self.client.close()
