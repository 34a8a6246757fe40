"""A stand-in for Zoho's accounts server and Zoho CRM's REST API, for tests: a real HTTP
server (Starlette under uvicorn on a loopback port the kernel picks), answering as Zoho's
documentation says, with records, credentials and failures the test controls.

- POST /oauth/v2/token (form: grant_type=refresh_token, client_id, client_secret,
  refresh_token): 200 {access_token, api_domain (this server), token_type, expires_in}; wrong
  credentials are 200 {"error": "invalid_code"}, as Zoho answers them. Besides its own
  client it accepts those in `clients` (client id -> (secret, refresh token)), and remembers
  which client each token was issued to.
- GET /crm/v8/{Module}?ids=a,b,c with `Authorization: Zoho-oauthtoken <token>` (Get
  Records by ids): 200 {"data": [the records it holds], "info": {...}}, leaving out the ids it
  does not hold; 204 when it holds none of them; 401 {"code": "INVALID_TOKEN"} for a token it
  did not issue or has expired (expire_tokens()); the statuses in `failures` first; each
  answer after `delay` seconds (`asked` counts the GETs it has begun answering; `got_with`
  names the client whose token each answered GET came with).
- POST and PATCH /crm/v8/actions/watch (Enable Notifications, and Update Specific Information
  of a Notification: tests/data/zoho/README.md) with the same token check: each call is kept
  in `watch_calls` (method, body); the statuses in `watch_failures` first; a channel_expiry
  more than a week ahead, a token over 50 characters or a PATCH of a channel it never
  enabled is 400 INVALID_DATA; else answered as Zoho does (crm_watch_answer.json).
"""

from __future__ import annotations

import asyncio
import copy
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.ports import free_port

WATCH_ANSWER = json.loads((Path(__file__).parent / "data/zoho/crm_watch_answer.json").read_text())


@dataclass
class ZohoStandIn:
    client_id: str = "1000.STANDINCLIENT"
    client_secret: str = field(default_factory=lambda: secrets.token_hex(20))
    refresh_token: str = field(default_factory=lambda: f"1000.{secrets.token_hex(32)}")
    # (Module, id) -> the record as Zoho's GET returns it
    records: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    # statuses the next record GETs answer (then the records)
    failures: list[int] = field(default_factory=list)
    token_calls: int = 0
    gets: list[tuple[str, str, int]] = field(default_factory=list)  # module, ids, status
    delay: float = 0.0  # seconds before each GET is answered
    token_delay: float = 0.0  # seconds before each token call is answered
    asked: int = 0
    valid_tokens: set[str] = field(default_factory=set)
    clients: dict[str, tuple[str, str]] = field(default_factory=dict)
    issued: dict[str, str] = field(default_factory=dict)  # access token -> client id
    got_with: list[str | None] = field(default_factory=list)
    watch_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    watch_failures: list[int] = field(default_factory=list)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)  # channel id -> watch
    url: str = ""

    def start(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        app = Starlette(routes=[
            Route("/oauth/v2/token", self._token, methods=["POST"]),
            Route("/crm/v8/actions/watch", self._watch, methods=["POST", "PATCH"]),
            Route("/crm/v8/{module}", self._records, methods=["GET"]),
        ])  # fmt: skip
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"the Zoho stand-in did not start on {self.url}")
            time.sleep(0.05)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)

    def expire_tokens(self) -> None:
        """Every access token issued so far is refused from now on (401 INVALID_TOKEN)."""
        self.valid_tokens.clear()

    async def _token(self, request: Request) -> JSONResponse:
        self.token_calls += 1
        await asyncio.sleep(self.token_delay)
        form = await request.form()
        clients = {self.client_id: (self.client_secret, self.refresh_token), **self.clients}
        client_id = str(form.get("client_id"))
        secret, refresh = clients.get(client_id, (None, None))
        given = (form.get("grant_type"), form.get("client_secret"), form.get("refresh_token"))
        if secret is None or given != ("refresh_token", secret, refresh):
            return JSONResponse({"error": "invalid_code"})
        token = f"1000.{secrets.token_hex(16)}"
        self.valid_tokens.add(token)
        self.issued[token] = client_id
        return JSONResponse({"access_token": token, "api_domain": self.url,
                             "token_type": "Bearer", "expires_in": 3600})  # fmt: skip

    async def _records(self, request: Request) -> Response:
        self.asked += 1
        await asyncio.sleep(self.delay)
        module, ids = request.path_params["module"], request.query_params.get("ids", "")
        answer = self._answer(request, module, ids.split(","))
        self.gets.append((module, ids, answer.status_code))
        token = request.headers.get("authorization", "").partition(" ")[2]
        self.got_with.append(self.issued.get(token))
        return answer

    def _answer(self, request: Request, module: str, ids: list[str]) -> Response:
        if self.failures:
            status = self.failures.pop(0)
            return JSONResponse({"code": "INTERNAL_ERROR", "status": "error"}, status_code=status)
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme != "Zoho-oauthtoken" or token not in self.valid_tokens:
            return JSONResponse({"code": "INVALID_TOKEN", "details": {},
                                 "message": "invalid oauth token", "status": "error"},
                                status_code=401)  # fmt: skip
        if not 1 <= len(ids) <= 100:
            return JSONResponse({"code": "INVALID_DATA", "details": {"param_name": "ids"},
                                 "message": "invalid data", "status": "error"},
                                status_code=400)  # fmt: skip
        held = [self.records[(module, i)] for i in ids if (module, i) in self.records]
        if not held:
            return Response(status_code=204)
        info = {"per_page": 200, "count": len(held), "page": 1, "more_records": False}
        return JSONResponse({"data": held, "info": info})

    async def _watch(self, request: Request) -> Response:
        body = await request.json()
        self.watch_calls.append((request.method, body))
        if self.watch_failures:
            failed = {
                "code": "INTERNAL_ERROR",
                "details": {},
                "message": "error",
                "status": "error",
            }
            return JSONResponse(failed, status_code=self.watch_failures.pop(0))
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme != "Zoho-oauthtoken" or token not in self.valid_tokens:
            return JSONResponse({"code": "INVALID_TOKEN", "details": {},
                                 "message": "invalid oauth token", "status": "error"},
                                status_code=401)  # fmt: skip
        [item] = body["watch"]
        channel = str(item["channel_id"])
        expiry = datetime.fromisoformat(item["channel_expiry"])
        week = datetime.now(UTC) + timedelta(days=7)
        unknown = request.method == "PATCH" and channel not in self.channels
        if expiry > week or len(item.get("token", "")) > 50 or unknown:
            return JSONResponse({"code": "INVALID_DATA", "details": {"api_name": "watch"},
                                 "message": "invalid data", "status": "error"},
                                status_code=400)  # fmt: skip
        self.channels[channel] = {**self.channels.get(channel, {}), **item}
        answer = copy.deepcopy(WATCH_ANSWER)
        [event] = answer["watch"][0]["details"]["events"]
        answer["watch"][0]["details"]["events"] = [
            {**event, "channel_id": channel, "channel_expiry": item["channel_expiry"],
             "resource_name": name.split(".")[0],
             "resource_uri": f"{self.url}/crm/v8/{name.split('.')[0]}"}
            for name in self.channels[channel]["events"]
        ]  # fmt: skip
        return JSONResponse(answer)
