"""Reproducible benchmark log that looks like production: every record differs in more than ids.

    python bench/make_realistic.py N OUT [--seed 7] [--kind mixed|text]

Unlike bench/make_log.py, whose records differ only in their uuids, each record here carries
its own prompt text, timestamps (advancing through one day), latencies, attempt counts, worker
names, user ids, hosts and numbers, so a cache keyed by a record with its ids blanked would
rarely hit. The failure wordings themselves come from finite, realistic families (Kling's
official code table, task failure reasons, client exception texts, gateway bodies), as real
logs repeat their error messages and vary only what surrounds them.

``--kind mixed`` (default) writes mostly JSON lines, roughly:

* 35 % HTTP client response objects for Kling errors (ts, method, url, status, latency,
  model, request with a prompt, response headers, body with code/message/request_id);
* 15 % failed-task query results (code 0, task_status "failed", task_status_msg);
* 15 % plain-text log lines as Python, Node and Go apps write them;
* 15 % structured log objects carrying client exception text (httpx, requests, aiohttp, ssl);
* 10 % gateway bodies (fal, Replicate, Kie, PiAPI, OpenAI-style aggregators);
*  7 % successes (submitted / processing / succeed);
*  3 % odd ones: proxy HTML pages, empty bodies, Chinese and Korean messages, a JSON line
  cut mid-way, and non-JSON garbage.

``--kind text`` writes only plain-text log lines: about 72 % the plain-text family above, 24 %
exception text and tracebacks folded onto one line, 4 % INFO lines (task created / status);
JSON appears only embedded inside the lines.

Output is UTF-8 with '\\n' line ends, and the same for a given seed (all randomness comes from
one ``random.Random(seed)``; ids are drawn from it too).
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

# The official messages and statuses, as bench/make_log.py writes them (a sibling script:
# run as `python bench/make_realistic.py`, bench/ is on sys.path).
from make_log import MESSAGES, STATUS

# --- Kling vocabulary ----------------------------------------------------------------------

# How often each code turns up in a busy integration's error log (rate and concurrency limits,
# balance, content policy and server trouble dominate; auth codes come in bursts).
CODE_WEIGHTS = {1000: 2, 1001: 1, 1002: 3, 1003: 1, 1004: 4, 1100: 1, 1101: 1, 1102: 8, 1103: 2,
                1200: 8, 1201: 4, 1202: 1, 1203: 2, 1300: 2, 1301: 10, 1302: 14, 1303: 16, 1304: 1,
                5000: 9, 5001: 4, 5002: 5}  # fmt: skip
CODES = list(CODE_WEIGHTS)
CODES_BY_STATUS = {s: [c for c in CODES if STATUS[c] == s] for s in set(STATUS.values())}
CODE_CUM = list(itertools.accumulate(CODE_WEIGHTS.values()))
REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           422: "Unprocessable Entity", 429: "Too Many Requests", 500: "Internal Server Error",
           502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}  # fmt: skip

HOSTS = ["api-singapore.klingai.com"] * 5 + ["api.klingai.com"] * 3 + ["api-beijing.klingai.com"]
ENDPOINTS = ["/v1/videos/text2video"] * 5 + ["/v1/videos/image2video"] * 4 + [
    "/v1/images/generations", "/v1/videos/lip-sync", "/v1/videos/effects",
    "/v1/videos/multi-image2video", "/v1/videos/video-extend",
]  # fmt: skip
MODELS = ["kling-v1", "kling-v1-5", "kling-v1-6", "kling-v1-6", "kling-v2-master", "kling-v2-1",
          "kling-v2-1", "kling-v2-1-master", "kling-v2-5-turbo"]  # fmt: skip
IMAGE_MODELS = ["kling-v1", "kling-v1-5", "kling-v2", "kling-v2-1"]
ASPECTS = ["16:9", "16:9", "9:16", "9:16", "1:1"]
MODES = ["std", "std", "pro"]
SERVERS = ["nginx", "nginx", "envoy", "Tengine"]
CDN = [
    "cdn-sg.klingai.com",
    "v15-kling.klingai.com",
    "v21-kling.klingai.com",
    "s21-kling.klingai.com",
]

# Messages that carry parameter detail, per code: (template, filler) pairs; the filler gets
# the rng and returns the format arguments. Real logs repeat the wording, not the numbers.
DETAILED: dict[int, list[Callable[[random.Random], str]]] = {
    1200: [
        lambda r: (
            "Invalid request parameters: duration must be one of [5, 10], got "
            f"{r.choice([3, 4, 6, 7, 8, 12, 15, 20])}"
        ),
        lambda r: (
            "Invalid request parameters: prompt length exceeds the limit of 2500 characters "
            f"(got {r.randint(2501, 6000)})"
        ),
        lambda r: (
            "Invalid request parameters: cfg_scale must be between 0 and 1, got "
            f"{r.choice(['1.5', '2', '-0.1', '7.5', '10'])}"
        ),
        lambda r: (
            "Invalid request parameters: aspect_ratio must be one of [16:9, 9:16, 1:1], got "
            f"{r.choice(['4:3', '3:4', '21:9', '2:1', '16:10'])}"
        ),
        lambda r: f"Invalid request parameters: negative_prompt too long ({r.randint(2501, 4000)})",
    ],
    1201: [
        lambda r: (
            f"Invalid request parameters: image resolution {r.randint(64, 299)}x"
            f"{r.randint(64, 299)} is too small, minimum 300x300"
        ),
        lambda r: f"Invalid request parameters: image size {r.randint(11, 60)}MB exceeds 10MB",
        lambda r: (
            "Invalid request parameters: image aspect ratio "
            f"{r.choice(['1:3', '3:1', '1:4', '5:1', '1:2.7'])} out of range [1:2.5, 2.5:1]"
        ),
    ],
    1203: [
        lambda r: (
            f"model is not exist: {r.choice(['kling-v3', 'kling-v2-6', 'kling-1.6', 'kling'])}"
        )
    ],
    5000: [
        lambda r: f"Server internal error, please try again later (trace {r.getrandbits(48):x})"
    ],
}

TASK_FAILURES: list[Callable[[random.Random], str]] = [
    lambda r: "Failure to pass the risk control system",
    lambda r: "Failure to pass the risk control system",
    lambda r: "Failure to pass the risk control system",
    lambda r: "Image pixel is invalid",
    lambda r: "Task timeout",
    lambda r: "Task timeout",
    lambda r: (
        "The resolution or aspect ratio of the input image is invalid. Please ensure it meets "
        "the required specifications."
    ),
    lambda r: "",
    lambda r: f"Content moderation failed: nsfw detected in frame {r.randint(1, 300)}",
    lambda r: f"Content moderation failed: {r.choice(['violence', 'nsfw', 'politics'])} detected",
]

# --- prompts -------------------------------------------------------------------------------

ADJECTIVES = [
    "old", "young", "tiny", "giant", "red", "golden", "silver", "misty", "neon", "quiet",
    "crowded", "ancient", "futuristic", "lonely", "playful", "sleepy", "curious", "glowing",
    "rusty", "snowy", "sunlit", "abandoned", "colorful", "elegant", "fluffy",
]  # fmt: skip
SUBJECTS = [
    "cat", "dog", "fox", "wolf", "horse", "dragon", "robot", "girl", "boy", "woman", "man",
    "astronaut", "samurai", "dancer", "chef", "pilot", "knight", "child", "grandmother",
    "musician", "surfer", "skater", "monk", "whale", "bird", "butterfly", "tiger", "panda", "owl",
    "couple", "detective", "ballerina", "koi", "goldfish", "deer", "jellyfish", "mech",
]  # fmt: skip
VERBS = [
    "walks", "runs", "dances", "flies", "floats", "sings", "jumps", "turns", "smiles", "waves",
    "swims", "climbs", "rides", "drifts", "spins", "glides", "laughs", "reads", "cooks", "paints",
    "sleeps", "wanders", "races", "stares",
]  # fmt: skip
PREPOSITIONS = [
    "through", "across", "over", "under", "beside", "inside", "along", "toward", "around",
    "behind", "near",
]  # fmt: skip
PLACES = [
    "forest", "city", "street", "beach", "desert", "ocean", "mountain", "river", "lake", "village",
    "market", "rooftop", "train", "station", "garden", "temple", "castle", "spaceship", "cafe",
    "library", "stadium", "bridge", "harbor", "canyon", "glacier", "subway", "alley", "meadow",
    "volcano",
]  # fmt: skip
TIMES = [
    "at sunset", "at dawn", "at night", "in the rain", "under falling snow", "in thick fog",
    "during a storm", "under neon lights", "on a windy afternoon", "in autumn", "at blue hour",
]  # fmt: skip
HELD = [
    "lantern", "umbrella", "sword", "guitar", "map", "balloon", "book", "flower", "kite", "camera",
    "teacup",
]  # fmt: skip
CAMERA = [
    "camera slowly pushes in", "camera orbits around", "the camera pans left", "static shot",
    "slow dolly zoom", "drone shot pulling back", "handheld tracking shot", "low angle shot",
]  # fmt: skip
STYLES = [
    "cinematic lighting", "35mm film", "slow motion", "close-up", "4k", "golden hour",
    "anime style", "hyperrealistic", "shallow depth of field", "volumetric fog", "film grain",
    "soft pastel palette", "studio ghibli style", "vibrant colors", "black and white", "moody",
]  # fmt: skip


def prompt(rng: random.Random) -> str:
    """A prompt sentence of about 6-25 words: a subject doing something somewhere, maybe more."""
    choice = rng.choice
    article = "An" if (adjective := choice(ADJECTIVES))[0] in "aeiou" else "A"
    text = (
        f"{article} {adjective} {choice(SUBJECTS)} {choice(VERBS)} {choice(PREPOSITIONS)} "
        f"the {choice(PLACES)}"
    )
    more = rng.random()
    if more < 0.5:
        text += " " + choice(TIMES)
    if more > 0.65:
        text += f" while holding a {choice(HELD)}"
    if rng.random() < 0.4:
        text += ", " + choice(CAMERA)
    if rng.random() < 0.6:
        text += ", " + ", ".join(rng.sample(STYLES, rng.randint(1, 2)))
    return text


# --- ids and time --------------------------------------------------------------------------


def uid(rng: random.Random) -> str:
    """A version-4-shaped uuid string drawn from the rng."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def task_id(rng: random.Random) -> str:
    """Kling task ids: 18-19 digit numeric strings."""
    return str(rng.randrange(7 * 10**17, 2 * 10**18))


BASE = datetime(2026, 11, 29, tzinfo=UTC)
BASE_EPOCH_MS = int(BASE.timestamp() * 1000)
DAYS = [BASE + timedelta(days=d) for d in range(8)]
DATES = [d.strftime("%Y-%m-%d") for d in DAYS]
GO_DATES = [d.strftime("%Y/%m/%d") for d in DAYS]
HTTP_DAYS = [d.strftime("%a, %d %b %Y") for d in DAYS]


class Clock:
    """Milliseconds since BASE, advancing so that N records span about one day."""

    def __init__(self, rng: random.Random, count: int) -> None:
        self.rng = rng
        self.ms = rng.randrange(1000)
        self.span = max(2, 2 * 86_400_000 // max(count, 1))

    def tick(self) -> int:
        self.ms += int(self.rng.random() * self.span)
        return self.ms

    @staticmethod
    def parts(ms: int) -> tuple[int, int, int, int, int]:
        sec, milli = divmod(ms, 1000)
        minute, second = divmod(sec, 60)
        hour, minute = divmod(minute, 60)
        day, hour = divmod(hour, 24)
        return min(day, 7), hour, minute, second, milli

    def iso(self, ms: int) -> str:
        d, h, m, s, x = self.parts(ms)
        return f"{DATES[d]}T{h:02d}:{m:02d}:{s:02d}.{x:03d}Z"

    def pylog(self, ms: int) -> str:
        d, h, m, s, x = self.parts(ms)
        return f"{DATES[d]} {h:02d}:{m:02d}:{s:02d},{x:03d}"

    def golog(self, ms: int) -> str:
        d, h, m, s, _ = self.parts(ms)
        return f"{GO_DATES[d]} {h:02d}:{m:02d}:{s:02d}"

    def http(self, ms: int) -> str:
        d, h, m, s, _ = self.parts(ms)
        return f"{HTTP_DAYS[d]} {h:02d}:{m:02d}:{s:02d} GMT"


# --- the generator ---------------------------------------------------------------------------

dumps = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

WORKERS = ["worker", "celery-worker", "rq-worker", "gen-worker", "video-worker"]
PY_LOGGERS = ["kling", "app.kling", "kling.client", "services.video", "app.tasks.generate",
              "video_pipeline.kling", "backend.providers.kling"]  # fmt: skip
EXC_LOGGERS = ["kling.client", "kling.client", "app.providers.kling", "video.generate", "worker"]
TRANSIENT = [429, 500, 502, 503, 503, 504]
GATEWAY_STATUS = [(502, "Bad Gateway"), (503, "Service Temporarily Unavailable"),
                  (504, "Gateway Time-out")]  # fmt: skip


class Gen:
    """Builds one record (a line without its end) at a time."""

    def __init__(self, rng: random.Random, count: int) -> None:
        self.rng = rng
        self.clock = Clock(rng, count)

    # small helpers
    def code(self) -> int:
        return self.rng.choices(CODES, cum_weights=CODE_CUM)[0]

    def message(self, code: int) -> str:
        rng = self.rng
        detail = DETAILED.get(code)
        if detail and rng.random() < 0.45:
            return rng.choice(detail)(rng)
        return MESSAGES[code]

    def url(self, endpoint: str | None = None) -> str:
        rng = self.rng
        return f"https://{rng.choice(HOSTS)}{endpoint or rng.choice(ENDPOINTS)}"

    def request(self, endpoint: str) -> dict[str, Any]:
        rng = self.rng
        if endpoint == "/v1/images/generations":
            return {"model_name": rng.choice(IMAGE_MODELS), "prompt": prompt(rng),
                    "n": rng.randint(1, 4), "aspect_ratio": rng.choice(ASPECTS)}  # fmt: skip
        if endpoint == "/v1/videos/lip-sync":
            return {"input": {"video_id": uid(rng), "mode": "text2video",
                              "text": prompt(rng), "voice_id": f"voice_{rng.randint(1, 80)}",
                              "voice_speed": rng.choice([0.8, 1.0, 1.0, 1.2])}}  # fmt: skip
        if endpoint == "/v1/videos/effects":
            return {"effect_scene": rng.choice(["hug", "kiss", "heart_gesture", "squish",
                                                "expansion", "bloombloom", "dizzydizzy"]),
                    "input": {"model_name": "kling-v1-6", "duration": "5",
                              "image": f"https://img.example-app.com/u/{rng.getrandbits(40):x}.jpg"}}  # fmt: skip
        req: dict[str, Any] = {
            "model_name": rng.choice(MODELS),
            "prompt": prompt(rng),
            "duration": rng.choice(["5", "5", "10"]),
            "mode": rng.choice(MODES),
            "aspect_ratio": rng.choice(ASPECTS),
        }
        if rng.random() < 0.3:
            req["cfg_scale"] = rng.choice([0.3, 0.5, 0.5, 0.7])
        if endpoint != "/v1/videos/text2video":
            req["image"] = f"https://storage.example-app.com/uploads/{rng.getrandbits(64):016x}.png"
        if rng.random() < 0.25:
            req["external_task_id"] = f"job-{rng.getrandbits(40):010x}"
        return req

    def headers(self, ms: int, status: int) -> dict[str, str]:
        rng = self.rng
        h = {
            "date": self.clock.http(ms),
            "content-type": "application/json",
            "x-request-id": f"req-{rng.getrandbits(32):08x}",
            "server": rng.choice(SERVERS),
        }
        if status in (429, 503) and rng.random() < 0.4:
            h["retry-after"] = str(rng.choice([1, 2, 3, 5, 10, 30, 60]))
        return h

    # 35 %: HTTP client response objects for Kling errors
    def response(self) -> str:
        rng = self.rng
        ms = self.clock.tick()
        code = self.code()
        status = STATUS[code]
        endpoint = rng.choice(ENDPOINTS)
        if code == 1202:
            method, endpoint = "GET", f"{endpoint}/{task_id(rng)}"
        else:
            method = "POST"
        request = self.request(endpoint.rsplit("/", 1)[0] if method == "GET" else endpoint)
        rec: dict[str, Any] = {
            "ts": self.clock.iso(ms),
            "method": method,
            "url": self.url(endpoint),
            "status": status,
            "latency_ms": int(rng.lognormvariate(5.5, 0.8)),
            "model": request.get("model_name", "kling-v1-6"),
            "request": request,
            "headers": self.headers(ms, status),
            "body": {"code": code, "message": self.message(code), "request_id": uid(rng)},
        }
        return dumps(rec)

    # 15 %: failed-task query results
    def failed_task(self) -> str:
        rng = self.rng
        ms = self.clock.tick()
        created = BASE_EPOCH_MS + ms - rng.randint(20_000, 900_000)
        tid = task_id(rng)
        data: dict[str, Any] = {
            "task_id": tid,
            "task_status": "failed",
            "task_status_msg": rng.choice(TASK_FAILURES)(rng),
            "task_info": {"external_task_id": f"job-{rng.getrandbits(40):010x}"},
            "created_at": created,
            "updated_at": created + rng.randint(3_000, 600_000),
        }
        if rng.random() < 0.3:
            data["task_result"] = {}
        rec: dict[str, Any] = {"ts": self.clock.iso(ms)}
        if rng.random() < 0.6:
            rec["method"] = "GET"
            rec["url"] = self.url(f"{rng.choice(ENDPOINTS[:9])}/{tid}")
        rec["status"] = 200
        rec["latency_ms"] = int(rng.lognormvariate(4.5, 0.6))
        rec["body"] = {"code": 0, "message": "SUCCEED", "request_id": uid(rng), "data": data}
        return dumps(rec)

    # 15 %: plain-text log lines
    def kling_body(self, code: int) -> str:
        return compact({"code": code, "message": self.message(code), "request_id": uid(self.rng)})

    def text_line(self) -> str:
        rng = self.rng
        c = self.clock
        ms = c.tick()
        pick = rng.random()
        if pick < 0.28:
            code = self.code()
            worker = f"{rng.choice(WORKERS)}-{rng.randint(1, 32)}"
            verb = rng.choice(["create", "create", "submit", "image2video", "text2video"])
            return (
                f"{c.pylog(ms)} ERROR [{worker}] kling {verb} failed model={rng.choice(MODELS)} "
                f"status={STATUS[code]} body={self.kling_body(code)}"
            )
        if pick < 0.42:
            status = rng.choice(TRANSIENT)
            attempt = rng.randint(1, 4)
            return (
                f"{c.pylog(ms)} WARNING {rng.choice(PY_LOGGERS)}: retrying in "
                f"{rng.choice([0.5, 1.0, 2.0, 4.0, 8.0]) * rng.uniform(0.8, 1.6):.1f}s "
                f"(attempt {attempt}/{rng.choice([3, 5, 5, 6])}): {status} {REASONS[status]}"
            )
        if pick < 0.52:
            exc = rng.choice([
                "httpx.ReadTimeout: timed out",
                "httpx.ConnectTimeout: timed out",
                "httpx.RemoteProtocolError: Server disconnected without sending a response.",
                "httpx.ConnectError: [Errno 111] Connection refused",
                "httpx.ConnectError: [Errno -3] Temporary failure in name resolution",
            ])  # fmt: skip
            return (
                f"{c.pylog(ms)} ERROR {rng.choice(PY_LOGGERS)}: {exc} "
                f"(task {task_id(rng)}, elapsed {rng.uniform(5, 125):.2f}s)"
            )
        if pick < 0.66:
            code = self.code()
            return (
                f"[{c.iso(ms)}] error: Kling API error {code}: {self.message(code)} "
                f"(user {rng.randint(1000, 999_999)})"
            )
        if pick < 0.78:
            msg = rng.choice(TASK_FAILURES[:7])(rng)
            return (
                f"{c.pylog(ms)} ERROR [{rng.choice(WORKERS)}-{rng.randint(1, 32)}] "
                f"{rng.choice(PY_LOGGERS)}: task {task_id(rng)} failed after "
                f"{rng.randint(20, 900)}s: task_status=failed task_status_msg={msg!r}"
            )
        if pick < 0.90:
            code = self.code()
            return (
                f"{c.golog(ms)} kling: POST {self.url()} returned {STATUS[code]}: "
                f"{self.kling_body(code)} (took {rng.randint(80, 4000)}ms)"
            )
        code = rng.choice([1302, 1303, 1303, 1102, 5000, 5001, 1301])
        return (
            f"{c.iso(ms)} ERR [video-svc] POST "
            f"{self.url()} -> {STATUS[code]} {REASONS[STATUS[code]]} "
            f'user_id={rng.randint(1000, 999_999)} code={code} msg="{self.message(code)}"'
        )

    # tracebacks and exception text folded onto one line (text kind only)
    def traceback_line(self) -> str:
        rng = self.rng
        c = self.clock
        ms = c.tick()
        url = self.url()
        pick = rng.random()
        if pick < 0.4:
            status = rng.choice([400, 401, 403, 404, 429, 429, 429])
            code = rng.choice(CODES_BY_STATUS[status])
            kind = "Client" if status < 500 else "Server"
            return (
                f"{c.pylog(ms)} ERROR [{rng.choice(WORKERS)}-{rng.randint(1, 32)}] "
                f"{rng.choice(PY_LOGGERS)}: Traceback (most recent call last): "
                f'File "/app/providers/kling.py", line {rng.randint(40, 400)}, in submit | '
                f"resp.raise_for_status() | httpx.HTTPStatusError: {kind} error "
                f"'{status} {REASONS[status]}' for url '{url}' "
                f"response={self.kling_body(code)}"
            )
        if pick < 0.7:
            status = rng.choice([500, 502, 503, 504])
            return (
                f"{c.pylog(ms)} ERROR {rng.choice(PY_LOGGERS)}: Traceback (most recent call "
                f'last): File "/srv/app/tasks.py", line {rng.randint(20, 900)}, in generate_video '
                f"| requests.exceptions.HTTPError: {status} Server Error: {REASONS[status]} "
                f"for url: {url}"
            )
        return (
            f"{c.pylog(ms)} ERROR {rng.choice(PY_LOGGERS)}: Traceback (most recent call last): "
            f'File "/app/providers/kling.py", line {rng.randint(40, 400)}, in _post | '
            f"{self.exception(url)}"
        )

    def info_line(self) -> str:
        rng = self.rng
        c = self.clock
        ms = c.tick()
        if rng.random() < 0.5:
            return (
                f"{c.pylog(ms)} INFO {rng.choice(PY_LOGGERS)}: task created "
                f"task_id={task_id(rng)} model={rng.choice(MODELS)} "
                f"user={rng.randint(1000, 999_999)}"
            )
        return (
            f"{c.pylog(ms)} INFO {rng.choice(PY_LOGGERS)}: task {task_id(rng)} "
            f"status={rng.choice(['submitted', 'processing', 'succeed'])} "
            f"elapsed={rng.uniform(1, 300):.1f}s"
        )

    # 15 %: structured log objects carrying client exception text
    def exception(self, url: str) -> str:
        rng = self.rng
        host = url.split("/", 3)[2]
        path = "/" + url.split("/", 3)[3]
        pick = rng.randrange(10)
        if pick == 0:
            return "httpx.ConnectTimeout: timed out"
        if pick == 1:
            return (
                f"requests.exceptions.ReadTimeout: HTTPSConnectionPool(host='{host}', port=443): "
                f"Read timed out. (read timeout={rng.choice([10, 30, 30, 60, 120])})"
            )
        if pick == 2:
            return (
                "requests.exceptions.ConnectionError: ('Connection aborted.', "
                "RemoteDisconnected('Remote end closed connection without response'))"
            )
        if pick == 3:
            return "aiohttp.client_exceptions.ServerDisconnectedError: Server disconnected"
        if pick == 4:
            return (
                "ssl.SSLEOFError: EOF occurred in violation of protocol "
                f"(_ssl.c:{rng.choice([2393, 2427, 2426, 1131])})"
            )
        if pick == 5:
            return (
                f"requests.exceptions.ConnectionError: HTTPSConnectionPool(host='{host}', "
                f"port=443): Max retries exceeded with url: {path} (Caused by "
                "NewConnectionError('<urllib3.connection.HTTPSConnection object at "
                f"0x7f{rng.getrandbits(40):010x}>: Failed to establish a new connection: "
                "[Errno 111] Connection refused'))"
            )
        if pick == 6:
            return (
                "aiohttp.client_exceptions.ClientConnectorError: Cannot connect to host "
                f"{host}:443 ssl:default [Connection reset by peer]"
            )
        if pick == 7:
            return f"httpx.ReadTimeout: timed out after {rng.choice([30, 60, 90, 120])}s"
        if pick == 8:
            return "asyncio.exceptions.TimeoutError"
        return (
            f"requests.exceptions.ConnectionError: HTTPSConnectionPool(host='{host}', port=443): "
            f"Max retries exceeded with url: {path} (Caused by NameResolutionError("
            f'"<urllib3.connection.HTTPSConnection object at 0x7f{rng.getrandbits(40):010x}>: '
            f"Failed to resolve '{host}' ([Errno -3] Temporary failure in name resolution)\"))"
        )

    def structured(self) -> str:
        rng = self.rng
        ms = self.clock.tick()
        url = self.url()
        rec: dict[str, Any] = {
            "timestamp": self.clock.iso(ms),
            "level": rng.choice(["error", "error", "warning"]),
            "logger": rng.choice(EXC_LOGGERS),
            "msg": rng.choice(
                [
                    "create task failed",
                    "create task failed",
                    "poll task failed",
                    "kling request failed",
                    "upload failed",
                ]
            ),
            "attempt": rng.randint(1, 5),
            "user_id": rng.randint(1000, 999_999),
            "duration_ms": rng.randint(200, 125_000),
        }
        if rng.random() < 0.3:
            code = self.code()
            status = STATUS[code]
            kind = "Client" if status < 500 else "Server"
            rec["exception"] = f"{kind} error '{status} {REASONS[status]}' for url '{url}'"
            rec["http_status"] = status
            rec["kling_code"] = code
            rec["kling_message"] = self.message(code)
            rec["request_id"] = uid(rng)
        elif rng.random() < 0.1:
            status = rng.choice([429, 500, 502, 503, 504])
            kind = "Client" if status < 500 else "Server"
            rec["exception"] = (
                f"{kind} error '{status} {REASONS[status]}' for url '{url}'\n"
                "For more information check: "
                f"https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/{status}"
            )
            rec["http_status"] = status
        else:
            rec["exception"] = self.exception(url)
            rec["url"] = url
        if rng.random() < 0.3:
            rec["task_id"] = task_id(rng)
        return dumps(rec)

    # 10 %: gateway bodies
    def gateway(self) -> str:
        rng = self.rng
        ms = self.clock.tick()
        ts = self.clock.iso(ms)
        pick = rng.random()
        if pick < 0.3:
            return self.fal(ts)
        if pick < 0.5:
            return self.replicate(ms)
        if pick < 0.65:
            return self.kie(ts, ms)
        if pick < 0.8:
            return self.piapi(ts)
        return self.aggregator(ts)

    def fal(self, ts: str) -> str:
        rng = self.rng
        variant = rng.choice(["v2.1/master", "v2.1/standard", "v2.1/pro", "v1.6/pro", "v2/master"])
        kind = rng.choice(["text-to-video", "image-to-video"])
        url = f"https://queue.fal.run/fal-ai/kling-video/{variant}/{kind}/requests/{uid(rng)}"
        pick = rng.random()
        status = 422
        if pick < 0.35:
            field, msg, typ = rng.choice([
                ("prompt", "The content was flagged by a content checker.", "content_policy_violation"),
                ("image_url", "field required", "value_error.missing"),
                ("duration", "Input should be '5' or '10'", "literal_error"),
                ("prompt", "String should have at most 2500 characters", "string_too_long"),
                ("image_url", "Image dimensions are too small. Minimum dimensions are 300x300 pixels.",
                 "image_too_small"),
            ])  # fmt: skip
            body: Any = {"detail": [{"loc": ["body", field], "msg": msg, "type": typ}]}
            if rng.random() < 0.5:
                body["detail"][0]["input"] = (
                    prompt(rng) if field == "prompt" else rng.randint(1, 99)
                )
        elif pick < 0.65:
            status = 403
            body = {"detail": "User is locked. Reason: Exhausted balance. Top up your balance "
                              "at fal.ai/dashboard/billing."}  # fmt: skip
        elif pick < 0.85:
            status = 500
            body = {"detail": [{"loc": ["body"], "msg": "Downstream service unavailable",
                                "type": "downstream_service_unavailable",
                                "url": "https://docs.fal.ai/errors/#downstream_service_unavailable"}]}  # fmt: skip
        else:
            status = 504
            body = {"detail": [{"loc": ["body"], "msg": "Generation timeout",
                                "type": "generation_timeout",
                                "url": "https://docs.fal.ai/errors/#generation_timeout"}]}  # fmt: skip
        rec = {"ts": ts, "method": "GET", "url": url, "status": status,
               "latency_ms": rng.randint(40, 2000),
               "headers": {"x-fal-request-id": uid(rng),
                           "x-fal-retryable": "true" if status >= 500 else "false"},
               "body": body}  # fmt: skip
        return dumps(rec)

    def replicate(self, ms: int) -> str:
        rng = self.rng
        pid = "".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=26))
        error = rng.choice([
            "E005: The input or output was flagged as sensitive. Please try again with different "
            "inputs.",
            "Prediction interrupted; please retry (code: PA)",
            "E1001: Prediction failed: out of memory",
            "E6716: Unexpected error handling prediction",
            "Kling task failed: Failure to pass the risk control system",
            "E8765: Model health check failed",
        ])  # fmt: skip
        seed = rng.randint(0, 2**31)
        rec = {
            "id": pid,
            "model": rng.choice(["kwaivgi/kling-v2.1", "kwaivgi/kling-v2.1-master",
                                 "kwaivgi/kling-v1.6-pro", "kwaivgi/kling-v2.5-turbo-pro"]),
            "version": f"{rng.getrandbits(256):064x}",
            "input": {"prompt": prompt(rng), "duration": rng.choice([5, 10]),
                      "aspect_ratio": rng.choice(ASPECTS)},
            "logs": f"Using seed: {seed}\nSubmitting task to Kling\nTask status: processing\n"
                    f"Waited {rng.randint(5, 600)}s\n",
            "status": "failed",
            "error": error,
            "created_at": self.clock.iso(ms - rng.randint(10_000, 600_000)),
            "completed_at": self.clock.iso(ms),
            "urls": {"get": f"https://api.replicate.com/v1/predictions/{pid}",
                     "cancel": f"https://api.replicate.com/v1/predictions/{pid}/cancel"},
        }  # fmt: skip
        return dumps(rec)

    def kie(self, ts: str, ms: int) -> str:
        rng = self.rng
        fail_code, fail_msg = rng.choice([
            ("500", "internal error, please try again later"),
            ("422", "Your prompt was flagged by the content policy"),
            ("400", "image size exceeds limit, max 10MB"),
            ("500", "Generation failed, please try again later"),
            ("501", "Generation failed"),
        ])  # fmt: skip
        created = BASE_EPOCH_MS + ms - rng.randint(20_000, 600_000)
        param = compact({"prompt": prompt(rng), "duration": rng.choice(["5", "10"]),
                         "aspect_ratio": rng.choice(ASPECTS)})  # fmt: skip
        kie_id = f"{rng.getrandbits(128):032x}"
        rec = {"code": 200, "msg": "success",
               "data": {"taskId": kie_id,
                        "model": rng.choice(["kling/v2-1-master-text-to-video",
                                             "kling/v2-1-standard", "kling/v2-1-pro"]),
                        "state": "fail", "param": param, "resultJson": "",
                        "failCode": fail_code, "failMsg": fail_msg,
                        "costTime": rng.randint(5, 900), "createTime": created,
                        "completeTime": created + rng.randint(5_000, 600_000)}}  # fmt: skip
        if rng.random() < 0.5:
            url = f"https://api.kie.ai/api/v1/jobs/recordInfo?taskId={kie_id}"
            return dumps({"ts": ts, "status": 200, "url": url, "body": rec})
        return dumps(rec)

    def piapi(self, ts: str) -> str:
        rng = self.rng
        raw = rng.choice([
            "Failure to pass the risk control system",
            f"call kling api failed: {{\"code\":1303,\"message\":\"parallel task over resource "
            f"pack limit\",\"request_id\":\"{uid(rng)}\"}}",
            "task timeout",
            "Image pixel is invalid",
            f"call kling api failed: status code {rng.choice([500, 502, 503])}",
        ])  # fmt: skip
        tid = uid(rng)
        body = {"code": 200, "message": "success",
                "data": {"task_id": tid, "model": "kling", "task_type": "video_generation",
                         "status": "failed",
                         "input": {"prompt": prompt(rng), "duration": rng.choice([5, 10]),
                                   "version": rng.choice(["1.6", "2.1", "2.1-master"])},
                         "output": {"video_url": ""},
                         "meta": {"created_at": ts, "usage": {"consume": 0}},
                         "error": {"code": 10000, "raw_message": raw,
                                   "message": "failed to do request"}}}  # fmt: skip
        return dumps({"ts": ts, "status": 200, "url": f"https://api.piapi.ai/api/v1/task/{tid}",
                      "body": body})  # fmt: skip

    def aggregator(self, ts: str) -> str:
        rng = self.rng
        model = rng.choice(MODELS)
        pick = rng.randrange(4)
        if pick == 0:
            status = 429
            wait = rng.randint(1, 60)
            limit = rng.choice([5, 10, 20, 60])
            err: dict[str, Any] = {
                "message": f"Rate limit reached for {model} in organization org-"
                f"{rng.getrandbits(96):024x} on requests per min (RPM): Limit "
                f"{limit}, Used {limit}, Requested 1. "
                f"Please try again in {wait}s.",
                "type": "rate_limit_error",
                "code": "rate_limit_exceeded",
            }
        elif pick == 1:
            status = 429
            err = {"message": "You exceeded your current quota, please check your plan and "
                              "billing details.",
                   "type": "insufficient_quota", "code": "insufficient_quota"}  # fmt: skip
        elif pick == 2:
            status = 404
            err = {"message": f"The model `{rng.choice(['kling-v3', 'kling-v2-6', 'kling'])}` "
                              "does not exist",
                   "type": "invalid_request_error", "code": "model_not_found"}  # fmt: skip
        else:
            status = 400
            err = {"message": f"Invalid value for 'duration': expected one of 5, 10, got "
                              f"{rng.choice([3, 6, 7, 8, 15])}",
                   "type": "invalid_request_error", "code": "invalid_value"}  # fmt: skip
        host = rng.choice(["api.aimlapi.com/v2/generate/video/kling/generation",
                           "api.302.ai/klingai/v1/videos/text2video",
                           "gateway.example-router.ai/v1/video/generations"])  # fmt: skip
        return dumps({"ts": ts, "method": "POST", "url": f"https://{host}", "status": status,
                      "latency_ms": rng.randint(30, 1500), "model": model,
                      "body": {"error": err}})  # fmt: skip

    # 7 %: successes
    def success(self) -> str:
        rng = self.rng
        ms = self.clock.tick()
        state = rng.choice(["submitted", "submitted", "processing", "succeed"])
        tid = task_id(rng)
        created = BASE_EPOCH_MS + ms - rng.randint(0, 300_000)
        data: dict[str, Any] = {"task_id": tid, "task_status": state,
                                "task_info": {"external_task_id": f"job-{rng.getrandbits(40):010x}"},
                                "created_at": created, "updated_at": created + rng.randint(0, 9999)}  # fmt: skip
        if state == "succeed":
            vid = uid(rng)
            data["task_status_msg"] = ""
            data["task_result"] = {"videos": [{
                "id": vid,
                "url": f"https://{rng.choice(CDN)}/bs2/upload-ylab-stunt/"
                       f"{rng.getrandbits(128):032x}/{vid}.mp4",
                "duration": rng.choice(["5.1", "5.1", "10.1"])}]}  # fmt: skip
        method = "POST" if state == "submitted" else "GET"
        endpoint = rng.choice(ENDPOINTS[:9])
        return dumps({
            "ts": self.clock.iso(ms), "method": method,
            "url": self.url(endpoint if method == "POST" else f"{endpoint}/{tid}"),
            "status": 200, "latency_ms": int(rng.lognormvariate(5.0, 0.7)),
            "body": {"code": 0, "message": "SUCCEED", "request_id": uid(rng), "data": data},
        })  # fmt: skip

    # 3 %: odd ones
    def odd(self) -> str:
        rng = self.rng
        ms = self.clock.tick()
        ts = self.clock.iso(ms)
        pick = rng.randrange(8)
        if pick in (0, 1):
            status, title = rng.choice(GATEWAY_STATUS)
            server = rng.choice(["nginx", "nginx/1.24.0", "openresty", "Tengine"])
            html = (
                f"<html>\r\n<head><title>{status} {title}</title></head>\r\n<body>\r\n"
                f"<center><h1>{status} {title}</h1></center>\r\n<hr><center>{server}</center>\r\n"
                "</body>\r\n</html>\r\n"
            )
            return dumps({"ts": ts, "method": "POST", "url": self.url(), "status": status,
                          "latency_ms": rng.randint(30_000, 61_000), "body": html})  # fmt: skip
        if pick == 2:
            return dumps({"ts": ts, "method": "POST", "url": self.url(), "status": 500,
                          "latency_ms": rng.randint(5, 3000), "body": ""})  # fmt: skip
        if pick == 3:
            code, message = rng.choice([
                (1102, "账户余额不足"), (1302, "请求过于频繁，请稍后再试"),  # noqa: RUF001
                (1303, "并发任务超过资源包限制"), (1301, "触发平台的内容安全策略"),
            ])  # fmt: skip
            return dumps({"ts": ts, "status": STATUS[code], "url": self.url(),
                          "body": {"code": code, "message": message,
                                   "request_id": uid(rng)}})  # fmt: skip
        if pick == 4:
            code, message = rng.choice([
                (1302, "요청이 너무 많습니다. 잠시 후 다시 시도해 주세요."),
                (1102, "계정 잔액이 부족합니다."),
            ])  # fmt: skip
            return dumps({"ts": ts, "status": STATUS[code], "url": self.url(),
                          "body": {"code": code, "message": message,
                                   "request_id": uid(rng)}})  # fmt: skip
        if pick in (5, 6):
            line = self.response()
            return line[: rng.randint(len(line) // 3, len(line) - 10)]
        return "".join(
            rng.choices("#$%&*+-/0123456789:;<=>?@ABCDEFabcdef~^|\\ \t\x7f", k=rng.randint(12, 90))
        )


MIXED = [
    (0.35, Gen.response),
    (0.50, Gen.failed_task),
    (0.65, Gen.text_line),
    (0.80, Gen.structured),
    (0.90, Gen.gateway),
    (0.97, Gen.success),
    (1.01, Gen.odd),
]
TEXT = [(0.72, Gen.text_line), (0.96, Gen.traceback_line), (1.01, Gen.info_line)]


def generate(count: int, out_path: str, seed: int = 7, kind: str = "mixed") -> None:
    """Write ``count`` records of ``kind`` to ``out_path``."""
    rng = random.Random(seed)
    gen = Gen(rng, count)
    table = MIXED if kind == "mixed" else TEXT
    random_ = rng.random
    with open(out_path, "w", encoding="utf-8", newline="\n") as out:
        batch: list[str] = []
        for _ in range(count):
            r = random_()
            for bound, make in table:
                if r < bound:
                    batch.append(make(gen))
                    break
            if len(batch) >= 10_000:
                batch.append("")
                out.write("\n".join(batch))
                batch = []
        if batch:
            batch.append("")
            out.write("\n".join(batch))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("count", type=int, help="number of records (lines)")
    parser.add_argument("out", help="output file")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--kind", choices=["mixed", "text"], default="mixed")
    args = parser.parse_args()
    generate(args.count, args.out, args.seed, args.kind)


if __name__ == "__main__":
    main()
