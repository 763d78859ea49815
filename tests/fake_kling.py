"""A fake Kling API on a loopback port: real sockets, scripted failures.

Routes, as Kling's: ``POST /v1/videos/text2video`` creates a task, ``GET
/v1/videos/text2video/{task_id}`` reports it (``processing`` once, then ``succeed`` with a
video URL), ``GET /files/{task_id}.mp4`` serves the video. The API routes want
``Authorization: Bearer <token>`` (the video, as on a CDN, does not); a token in ``expired``
gets Kling's 401 + 1004. ``create`` and ``poll`` hold scripted answers, used first, in order.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CREATE_PATH = "/v1/videos/text2video"
VIDEO = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 256  # 64 KiB "video"


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def kling_error(status: int, code: int, message: str, **headers: str) -> Answer:
    return Answer(status, {"code": code, "message": message, "request_id": f"req-{code}"}, headers)


CONCURRENCY_1303 = kling_error(429, 1303, "parallel task over resource pack limit")
QUOTA_1102 = kling_error(429, 1102, "Account balance not enough")
EXPIRED_1004 = kling_error(401, 1004, "Authorization is expired")
RISK_CONTROL = Answer(
    200,
    {
        "code": 0,
        "message": "SUCCEED",
        "request_id": "req-poll",
        "data": {
            "task_id": "task-1",
            "task_status": "failed",
            "task_status_msg": "Failure to pass the risk control system",
        },
    },
)


class FakeKling:
    """Start with ``start()``; ``reset()`` between tests; ``seen`` lists (method, path, token)."""

    def __init__(self) -> None:
        self.create: list[Answer] = []
        self.poll: list[Answer] = []
        self.expired: set[str] = set()
        self.seen: list[tuple[str, str, str]] = []
        self._polled: dict[str, int] = {}
        self._tasks = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeKling:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes

            def do_POST(self) -> None:
                fake._handle(self)

            def do_GET(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.create, self.poll, self.expired, self.seen = [], [], set(), []
            self._polled.clear()

    def count(self, method: str, prefix: str) -> int:
        return sum(1 for m, path, _ in self.seen if m == method and path.startswith(prefix))

    def _answer(self, method: str, path: str, token: str) -> Answer | tuple[bytes, str]:
        with self._lock:
            self.seen.append((method, path, token))
            if method == "GET" and path.startswith("/files/"):  # the CDN: no token
                return VIDEO, "video/mp4"
            if not token:
                return kling_error(401, 1000, "Authorization is empty")
            if token in self.expired:
                return EXPIRED_1004
            if method == "POST" and path == CREATE_PATH:
                if self.create:
                    return self.create.pop(0)
                self._tasks += 1
                data = {"task_id": f"task-{self._tasks}", "task_status": "submitted"}
                return Answer(200, {"code": 0, "message": "SUCCEED", "data": data})
            if method == "GET" and path.startswith(CREATE_PATH + "/"):
                if self.poll:
                    return self.poll.pop(0)
                task_id = path.rsplit("/", 1)[1]
                self._polled[task_id] = self._polled.get(task_id, 0) + 1
                data = {"task_id": task_id, "task_status": "processing"}
                if self._polled[task_id] > 1:
                    videos = [{"id": "v1", "url": f"{self.url}/files/{task_id}.mp4"}]
                    data = {**data, "task_status": "succeed", "task_result": {"videos": videos}}
                return Answer(200, {"code": 0, "message": "SUCCEED", "data": data})
            return kling_error(404, 1203, "resource not found")

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        if length:
            request.rfile.read(length)
        token = (request.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        answer = self._answer(request.command, request.path, token)
        if isinstance(answer, tuple):
            status, payload, content_type, headers = 200, answer[0], answer[1], {}
        else:
            status, payload = answer.status, json.dumps(answer.body).encode()
            content_type, headers = "application/json", answer.headers
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            request.send_header(name.replace("_", "-"), value)
        request.end_headers()
        request.wfile.write(payload)
