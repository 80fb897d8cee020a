"""What the app talks to on the outside, on loopback: a mail server and a webhook receiver that
only count what arrives (by Message-ID and by event id), so the soak can tell lost from doubled."""

from __future__ import annotations

import json
import socketserver
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP for Django's backend: EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 soak ESMTP")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.reply("250 soak")
            elif verb == b"DATA":
                self.reply("354 go on")
                message = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    message.append(chunk)
                self.server.sink.received(b"".join(message))
                self.reply("250 kept")
            elif verb == b"QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


class MailSink:
    def __init__(self):
        self.message_ids: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
        self.server.daemon_threads = True
        self.server.sink = self
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def received(self, message: bytes) -> None:
        for line in message.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                with self.lock:
                    self.message_ids[line.split(b":", 1)[1].strip().decode()] += 1
                return


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        event = json.loads(body)
        with self.server.sink.lock:
            self.server.sink.events[event["id"]] += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


class WebhookSink:
    def __init__(self):
        self.events: Counter[int] = Counter()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
        self.server.sink = self
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
