"""HTTP as the soak's clients speak it: one connection per request (a server restart costs no
stale socket), JSON both ways, and a request abandoned half-way on purpose."""

from __future__ import annotations

import http.client
import json
import random
import socket
import time
from dataclasses import dataclass


@dataclass
class Answer:
    status: int  # 0: no answer (refused, reset, timed out)
    body: bytes
    headers: dict[str, str]
    seconds: float

    def json(self):
        return json.loads(self.body)

    @property
    def is_json(self) -> bool:
        return self.headers.get("content-type", "").startswith("application/json")


class Client:
    def __init__(self, port: int, token: str | None = None, cookie: str | None = None):
        self.port, self.token, self.cookie = port, token, cookie

    def headers(self, extra: dict | None = None) -> dict:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        if self.cookie:
            headers["Cookie"] = self.cookie
        return {**headers, **(extra or {})}

    def request(self, method: str, path: str, body=None, *, headers=None, timeout=300) -> Answer:
        data = None if body is None else json.dumps(body).encode()
        extra = {"Content-Type": "application/json"} if data is not None else {}
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            sent = self.headers({**extra, **(headers or {})})
            conn.request(method, path, body=data, headers=sent)
            response = conn.getresponse()
            payload = response.read()
            got = {k.lower(): v for k, v in response.getheaders()}
            got["set-cookie"] = "; ".join(response.msg.get_all("Set-Cookie") or [])
            return Answer(response.status, payload, got, time.monotonic() - started)
        except (OSError, http.client.HTTPException) as error:
            return Answer(0, str(error).encode(), {}, time.monotonic() - started)
        finally:
            conn.close()

    def abandon(self, path: str, body, *, headers: dict, rng: random.Random) -> str:
        """Send a POST and walk away: half the body then close, or all of it and close before
        the answer. Returns which."""
        data = json.dumps(body).encode()
        head = {**self.headers(headers), "Content-Type": "application/json",
                "Content-Length": str(len(data)), "Host": f"127.0.0.1:{self.port}"}  # fmt: skip
        lines = [f"POST {path} HTTP/1.1", *(f"{k}: {v}" for k, v in head.items()), "", ""]
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        try:
            sock.sendall("\r\n".join(lines).encode())
            if rng.random() < 0.5:
                sock.sendall(data[: len(data) // 2])
                return "half a body"
            sock.sendall(data)
            time.sleep(rng.uniform(0.01, 0.5))
            return "whole body, answer not read"
        finally:
            sock.close()
