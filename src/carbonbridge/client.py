"""A Python client of the CarbonBridge HTTP API, on httpx (the tests drive the API with it).

    from carbonbridge.client import Client
    api = Client("http://127.0.0.1:8000")
    api.sign_in("alice", password, totp.now())
    api.propose("transfer", key="t-1", code=totp.now(), unit_type="BY-AL-2026", quantity=10,
                source_account="BY-T1", destination_account="BY-T2")

Errors raise `ApiError` carrying the RFC 9457 problem document.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

import httpx

__all__ = ["ApiError", "Client", "Event", "parse_events"]
PREFIX = "/api/v1"
MAX_PAGES = 10_000


class ApiError(Exception):
    """A non-2xx answer; `problem` is its problem document (type, title, status, detail, ...)."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        self.status, self.problem = status, problem
        super().__init__(f"{status} {problem.get('title', '')}: {problem.get('detail', '')}")

    @property
    def response_code(self) -> str | None:
        return self.problem.get("response_code")


Files = dict[str, tuple[str, bytes]] | list[tuple[str, tuple[str, bytes]]]
"""Multipart files: field -> (name, content), or (field, (name, content)) pairs where a field repeats."""


class Client:
    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        *,
        token: str | None = None,
        http: httpx.Client | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.http = http or httpx.Client(base_url=base_url, timeout=timeout)
        self.token = token

    def close(self) -> None:
        self.http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        files: Files | None = None,
        data: dict[str, Any] | None = None,
    ) -> Any:
        response = self._send(method, path, json=json, params=params, headers=headers, files=files, data=data)
        return response.json() if response.content else None

    def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        files: Files | None = None,
        data: dict[str, Any] | None = None,
    ) -> httpx.Response:
        sent = dict(headers or {})
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        body: dict[str, Any] = {"json": json}
        if files is not None:  # multipart/form-data, even without a file: form fields as parts without a file name
            parts: list[tuple[str, tuple[str | None, bytes | str]]] = list(
                files.items() if isinstance(files, dict) else files
            )
            parts += [(k, (None, str(v))) for k, v in (data or {}).items() if v is not None]
            body = {"files": parts}
        response = self.http.request(method, PREFIX + path, params=clean, headers=sent, **body)
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {"title": response.reason_phrase, "detail": response.text}
            raise ApiError(response.status_code, problem)
        return response

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.request("POST", path, json=body, headers=headers)

    def paginate(self, path: str, **params: Any) -> Iterator[Any]:
        """Every item of a list, following `next_cursor` (bounded)."""
        cursor = None
        for _ in range(MAX_PAGES):
            found = self.get(path, **params, cursor=cursor)
            yield from found["items"]
            cursor = found["next_cursor"]
            if cursor is None:
                return

    # sign-in ---------------------------------------------------------------------------------

    def sign_in(self, user_id: str, password: str, code: str) -> dict[str, Any]:
        found: dict[str, Any] = self.post("/auth/sign-in", {"user_id": user_id, "password": password, "code": code})
        self.token = found["access_token"]
        return found

    def sign_out(self) -> None:
        self.request("POST", "/auth/sign-out")
        self.token = None

    def me(self) -> Any:
        return self.get("/auth/me")

    def create_user(
        self, user_id: str, password: str, grants: list[dict[str, str]], representative_id: str | None = None
    ) -> Any:
        body = {"user_id": user_id, "password": password, "grants": grants, "representative_id": representative_id}
        return self.post("/users", body)

    def create_api_key(self, name: str, grants: list[dict[str, str]], *, moves_units: bool = False) -> Any:
        return self.post("/api-keys", {"name": name, "grants": grants, "moves_units": moves_units})

    # registry --------------------------------------------------------------------------------

    def create_unit_type(self, jurisdiction: str, vintage: int, cap: int, **extra: Any) -> Any:
        return self.post("/unit-types", {"jurisdiction": jurisdiction, "vintage": vintage, "cap": cap, **extra})

    def open_account(
        self, account_id: str, jurisdiction: str, account_type: str, holder: str, installation_id: str | None = None
    ) -> Any:
        body = {
            "account_id": account_id,
            "jurisdiction": jurisdiction,
            "type": account_type,
            "holder": holder,
            "installation_id": installation_id,
        }
        return self.post("/accounts", body)

    def account(self, account_id: str) -> Any:
        return self.get(f"/accounts/{account_id}")

    def set_account_state(self, account_id: str, state: str, reason: str) -> Any:
        return self.post(f"/accounts/{account_id}/state", {"state": state, "reason": reason})

    def add_representative(self, representative_id: str, name: str, accounts: list[str]) -> Any:
        return self.post(
            "/representatives", {"representative_id": representative_id, "name": name, "accounts": accounts}
        )

    def trust(self, account_id: str, trusted_account_id: str, action: str = "add") -> Any:
        return self.post(
            f"/accounts/{account_id}/trusted", {"trusted_account_id": trusted_account_id, "action": action}
        )

    def holdings(self, account_id: str) -> list[Any]:
        return list(self.paginate(f"/accounts/{account_id}/holdings"))

    def serial_blocks(self, account_id: str, unit_type: str) -> list[Any]:
        """Every serial block of one holding, in serial order (reserved ones marked)."""
        return list(self.paginate(f"/accounts/{account_id}/holdings/{unit_type}/blocks", limit=200))

    def propose(self, kind: str, *, key: str, code: str | None = None, **fields: Any) -> Any:
        """Propose a transaction (issuance, allocation, transfer, surrender, deletion, reversal)."""
        headers = {"Idempotency-Key": key}
        if code is not None:
            headers["X-One-Time-Code"] = code
        return self.request("POST", "/transactions", json={"type": kind, **fields}, headers=headers)

    def approve(self, transaction_id: str, code: str | None = None) -> Any:
        headers = {"X-One-Time-Code": code} if code else {}
        return self.request("POST", f"/transactions/{transaction_id}/approve", headers=headers)

    def cancel(self, transaction_id: str) -> Any:
        return self.post(f"/transactions/{transaction_id}/cancel")

    def transaction(self, transaction_id: str) -> Any:
        return self.get(f"/transactions/{transaction_id}")

    def transactions(self, **filters: Any) -> list[Any]:
        return list(self.paginate("/transactions", **filters))

    def settle(self) -> Any:
        return self.post("/registry/settle")

    def check(self) -> Any:
        return self.get("/registry/check")

    def verify_log(self) -> Any:
        return self.get("/registry/log/verify")

    # compliance and public reports -------------------------------------------------------------

    def compliance(self, installation_id: str, year: int) -> Any:
        return self.get(f"/compliance/{installation_id}/{year}")

    def enter_verified_emissions(self, installation_id: str, year: int) -> Any:
        return self.post(f"/compliance/{installation_id}/{year}/verified-emissions")

    def public_installation_year(self, installation_id: str, year: int) -> Any:
        return self.get(f"/public/installations/{installation_id}/years/{year}")

    def public_jurisdiction_year(self, code: str, year: int) -> Any:
        return self.get(f"/public/jurisdictions/{code}/years/{year}")

    # MRV -------------------------------------------------------------------------------------

    def register_plan(self, plan: dict[str, Any]) -> Any:
        """A monitoring plan (the fields of a `mrv plan` TOML file); a new version if the installation has one."""
        return self.post("/mrv/monitoring-plans", plan)

    def monitoring_plans(self, installation_id: str) -> list[Any]:
        return list(self.paginate(f"/mrv/installations/{installation_id}/monitoring-plans"))

    def upload_activity(self, name: str, content: bytes, *, year: int | None = None) -> Any:
        """Import a CSV or XLSX of activity records; a rejected file raises ApiError with `problems`."""
        return self.request("POST", "/mrv/activity-data", files={"file": (name, content)}, data={"year": year})

    def submit_report(self, installation_id: str, year: int, *, gwp_set: str | None = None, reason: str = "") -> Any:
        """Compile the annual report; correcting a verified (or sent back) report needs a reason."""
        return self.post(f"/mrv/installations/{installation_id}/reports/{year}", {"gwp_set": gwp_set, "reason": reason})

    def upload_measurements(
        self, installation_id: str, name: str, content: bytes, *, year: int, emission_source: str, **form: Any
    ) -> Any:
        """A year of hourly CEMS data of one measurement-based source (gas, concentration_unit, flow_unit)."""
        path = f"/mrv/installations/{installation_id}/measurements"
        data = {"year": year, "emission_source": emission_source, **form}
        return self.request("POST", path, files={"file": (name, content)}, data=data)

    def reports(self, installation_id: str, year: int | None = None) -> list[Any]:
        return list(self.paginate(f"/mrv/installations/{installation_id}/reports", year=year))

    def verify_report(self, installation_id: str, year: int, opinion: str, **fields: Any) -> Any:
        body = {"opinion": opinion, **fields}
        return self.post(f"/mrv/installations/{installation_id}/reports/{year}/verification", body)

    # national inventory --------------------------------------------------------------------------

    def inventory_submissions(self, jurisdiction: str, **filters: Any) -> list[Any]:
        return list(self.paginate(f"/inventory/{jurisdiction}/submissions", **filters))

    def compile_inventory(
        self, jurisdiction: str, activity_data: dict[str, bytes], *, factors: bytes | None = None, **form: Any
    ) -> Any:
        """Compile a submission from national activity data CSVs (file name -> content), as `inventory
        compile --input FOLDER`; form: label, mrv_categories (comma-separated), gwp_set. `new` says
        whether a version was added."""
        files = [("activity_data", (name, content)) for name, content in activity_data.items()]
        if factors is not None:
            files.append(("factors", ("factors.csv", factors)))
        return self.request("POST", f"/inventory/{jurisdiction}/submissions", files=files, data=form)

    def inventory_changes(self, jurisdiction: str, version: int, since: int, **params: Any) -> list[Any]:
        """What changed from version `since` to `version` (`inventory diff`)."""
        return list(self.paginate(f"/inventory/{jurisdiction}/submissions/{version}/changes", since=since, **params))

    def reconciliation(self, jurisdiction: str, version: int, **params: Any) -> list[Any]:
        """Verified installation emissions against the submission (`inventory reconcile`)."""
        return list(self.paginate(f"/inventory/{jurisdiction}/submissions/{version}/reconciliation", **params))

    def inventory_submission(self, jurisdiction: str, version: int) -> Any:
        return self.get(f"/inventory/{jurisdiction}/submissions/{version}")

    def inventory_export(self, jurisdiction: str, version: int, fmt: str = "zip", **params: Any) -> bytes:
        """One publication (xlsx, primap2-csv, primap2-yaml, summary1-csv) or all of them as a zip."""
        path = f"/inventory/{jurisdiction}/submissions/{version}/export"
        return self._send("GET", path, params={"format": fmt, **params}).content

    def kca(self, jurisdiction: str, version: int, **params: Any) -> Any:
        return self.get(f"/inventory/{jurisdiction}/submissions/{version}/kca", **params)

    def uncertainty(self, jurisdiction: str, version: int, table: bytes, **form: Any) -> Any:
        path = f"/inventory/{jurisdiction}/submissions/{version}/uncertainty"
        return self.request("POST", path, files={"uncertainty_table": ("uncertainty.csv", table)}, data=form)

    def crt_export(
        self, jurisdiction: str, version: int, metadata: bytes, *, template: bytes | None = None, **form: Any
    ) -> Any:
        """The CRT Data Exchange JSON of a submission (`document`) with the export's counts and repairs."""
        files = {"metadata": ("metadata.json", metadata)}
        if template is not None:
            files["template"] = ("template.json", template)
        path = f"/inventory/{jurisdiction}/submissions/{version}/crt/export"
        return self.request("POST", path, files=files, data=form)

    def crt_coverage(self, jurisdiction: str, version: int, metadata: bytes, template: bytes | None = None) -> Any:
        files = {"metadata": ("metadata.json", metadata)}
        if template is not None:
            files["template"] = ("template.json", template)
        return self.request("POST", f"/inventory/{jurisdiction}/submissions/{version}/crt/coverage", files=files)

    def crt_validate(self, jurisdiction: str, document: bytes, metadata: bytes) -> Any:
        files = {"file": ("crt.json", document), "metadata": ("metadata.json", metadata)}
        return self.request("POST", f"/inventory/{jurisdiction}/crt/validate", files=files)

    def crt_read(self, jurisdiction: str, document: bytes, metadata: bytes, **form: Any) -> Any:
        """The records (IPCC 2006) and notation keys of a CRT JSON (`inventory crt read`)."""
        files = {"file": ("crt.json", document), "metadata": ("metadata.json", metadata)}
        return self.request("POST", f"/inventory/{jurisdiction}/crt/read", files=files, data=form)

    def crt_tables(
        self,
        jurisdiction: str,
        version: int,
        *,
        notation_keys: bytes | None = None,
        explanations: bytes | None = None,
        **form: Any,
    ) -> tuple[str, bytes]:
        """CRT-like workbooks (`inventory crt tables`): (media type, bytes), one XLSX or a zip of several."""
        uploads = {"notation_keys": notation_keys, "explanations": explanations}
        sent = {field: (f"{field}.csv", content) for field, content in uploads.items() if content is not None}
        path = f"/inventory/{jurisdiction}/submissions/{version}/crt/tables"
        response = self._send("POST", path, files=sent, data=form)
        return response.headers["content-type"], response.content

    # cap and allocation --------------------------------------------------------------------------

    def cap(self, jurisdiction: str, first: int, last: int) -> list[Any]:
        return list(self.paginate(f"/allocation/{jurisdiction}/cap", **{"from": first, "to": last}))

    def allocation_plan(self, jurisdiction: str, name: str, content: bytes, year: int | None = None) -> Any:
        return self.request(
            "POST", f"/allocation/{jurisdiction}/plan", files={"input": (name, content)}, data={"year": year}
        )

    def allocation_entries(self, jurisdiction: str, year: int, **filters: Any) -> list[Any]:
        return list(self.paginate(f"/allocation/{jurisdiction}/{year}/entries", **filters))

    def post_allocation(
        self, jurisdiction: str, year: int, phase: str, name: str, content: bytes, *, code: str | None = None
    ) -> Any:
        """Issue and allocate (phase ex_ante) or true up (true_up), signed with a fresh one-time code."""
        headers = {"X-One-Time-Code": code} if code else {}
        path = f"/allocation/{jurisdiction}/{year}/{phase}"
        return self.request("POST", path, files={"input": (name, content)}, headers=headers)

    # market ------------------------------------------------------------------------------------

    def instruments(self, **filters: Any) -> list[Any]:
        return list(self.paginate("/market/instruments", **filters))

    def depth(self, instrument: str, levels: int = 5) -> Any:
        return self.get(f"/market/instruments/{instrument}/depth", levels=levels)

    def market_trades(self, instrument: str) -> list[Any]:
        return list(self.paginate(f"/market/instruments/{instrument}/trades"))

    def ohlcv(self, instrument: str, **filters: Any) -> list[Any]:
        return list(self.paginate(f"/market/instruments/{instrument}/ohlcv", **filters))

    def auctions(self, **filters: Any) -> list[Any]:
        return list(self.paginate("/market/auctions", **filters))

    def msr(self, jurisdiction: str, year: int, tnac: int | None = None) -> Any:
        return self.get(f"/market/msr/{jurisdiction}/{year}", tnac=tnac)

    def place_order(self, *, key: str, code: str | None = None, **fields: Any) -> Any:
        """Place an order (instrument, participant, side, type, quantity, price_minor), signed."""
        return self.request("POST", "/market/orders", json=fields, headers=_signed(key, code))

    def amend_order(
        self,
        order_id: str,
        *,
        key: str,
        code: str | None = None,
        quantity: int | None = None,
        price_minor: int | None = None,
    ) -> Any:
        body = {"quantity": quantity, "price_minor": price_minor}
        return self.request("POST", f"/market/orders/{order_id}/amend", json=body, headers=_signed(key, code))

    def cancel_order(self, order_id: str) -> Any:
        return self.post(f"/market/orders/{order_id}/cancel")

    def order(self, order_id: str) -> Any:
        return self.get(f"/market/orders/{order_id}")

    def orders(self, **filters: Any) -> list[Any]:
        return list(self.paginate("/market/orders", **filters))

    def participant_trades(self, participant: str, **filters: Any) -> list[Any]:
        return list(self.paginate(f"/market/participants/{participant}/trades", **filters))

    def cash(self, **filters: Any) -> list[Any]:
        return list(self.paginate("/market/cash", **filters))

    def participant_cash(self, participant: str) -> list[Any]:
        return list(self.paginate(f"/market/participants/{participant}/cash"))

    def place_bid(
        self, auction_id: str, *, key: str, code: str | None = None, participant: str, price_minor: int, lots: int
    ) -> Any:
        body = {"participant": participant, "price_minor": price_minor, "lots": lots}
        return self.request("POST", f"/market/auctions/{auction_id}/bids", json=body, headers=_signed(key, code))

    def close_session(self, instrument: str) -> Any:
        """End the instrument's session: its open orders expire (registry administrator)."""
        return self.post(f"/market/instruments/{instrument}/close")

    def settle_trades(self, instrument: str, *, key: str, code: str | None = None) -> Any:
        """Delivery versus payment of the instrument's unsettled trades (registry administrator)."""
        return self.request("POST", f"/market/instruments/{instrument}/settlements", headers=_signed(key, code))

    def events(self, instrument: str, *, last_event_id: int | None = None, max_events: int = 100) -> Iterator[Event]:
        """The instrument's server-sent events (trade, depth) as they arrive, until the server ends
        the stream (after `max_events`); resume with the last event's id."""
        headers = {"Accept": "text/event-stream"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        path = f"{PREFIX}/market/instruments/{instrument}/events"
        with self.http.stream("GET", path, params={"max_events": max_events}, headers=headers) as response:
            if response.status_code >= 400:
                response.read()
                raise ApiError(response.status_code, response.json())
            yield from parse_events(response.iter_lines())

    # money across the link -----------------------------------------------------------------------

    def link_rates(
        self, jurisdiction: str, *, start: str | None = None, end: str | None = None, for_auction: str | None = None
    ) -> list[Any]:
        """Official BYN/CNY rates (ISO dates), or the one fixed for an auction on `for_auction`."""
        params = {"from": start, "to": end, "for_auction": for_auction}
        found: list[Any] = self.get(f"/link/{jurisdiction}/rates", **params)
        return found

    def joint_auction_schedule(self, jurisdiction: str, body: dict[str, Any], *, code: str | None = None) -> Any:
        """Schedule a joint auction (the fields of routes_link_money.JointSchedule), signed with a one-time code."""
        headers = {"X-One-Time-Code": code} if code else {}
        return self.request("POST", f"/link/{jurisdiction}/joint-auctions", json=body, headers=headers)

    def joint_auction_run(self, jurisdiction: str, joint_id: str, *, code: str | None = None) -> Any:
        headers = {"X-One-Time-Code": code} if code else {}
        return self.request("POST", f"/link/{jurisdiction}/joint-auctions/{joint_id}/run", headers=headers)

    def joint_auction_bid(
        self, jurisdiction: str, joint_id: str, account: str, price: int, units: int, key: str
    ) -> Any:
        body = {"account": account, "price": price, "units": units}
        return self.post(f"/link/{jurisdiction}/joint-auctions/{joint_id}/bids", body, **{"Idempotency-Key": key})

    def joint_auction(self, jurisdiction: str, joint_id: str) -> Any:
        return self.get(f"/link/{jurisdiction}/joint-auctions/{joint_id}")

    def cross_border_trade(self, jurisdiction: str, key: str) -> Any:
        return self.get(f"/link/{jurisdiction}/cross-border/{key}")


def _signed(key: str, code: str | None) -> dict[str, str]:
    headers = {"Idempotency-Key": key}
    if code is not None:
        headers["X-One-Time-Code"] = code
    return headers


class Event(NamedTuple):
    """One server-sent event: its kind (`trade`, `depth`), id (a trade sequence number) and data."""

    kind: str
    id: int | None
    data: Any


def parse_events(lines: Iterable[str]) -> Iterator[Event]:
    """Server-sent events from the lines of a text/event-stream (comments and `retry:` skipped)."""
    kind, event_id = "message", None
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield Event(kind, event_id, json.loads("\n".join(data)))
            kind, data = "message", []
        elif line.startswith("event:"):
            kind = line[6:].strip()
        elif line.startswith("id:"):
            event_id = int(line[3:].strip())
        elif line.startswith("data:"):
            data.append(line[5:].strip())
    if data:
        yield Event(kind, event_id, json.loads("\n".join(data)))
