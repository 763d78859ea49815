"""The record read so far (a mutable Draft), and the cleaning every shown string gets.

A Draft is filled by the readers in _shapes and _text, outer fields first; most fields keep
the first value found (``set_*`` methods), a few have their own precedence (``note_status``,
``note_code``). _verdicts turns the finished Draft into an Event or a Verdict.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from .._redact import may_hold_secrets, redact
from .._vocabulary import Shape

MAX_MESSAGE = 1_000
MAX_TEXT = 16_384  # characters of a record searched by `text` conditions
# The ranges of Kling's own service codes; any other body `code` is a gateway's.
KLING_CODE_RANGES = ((1000, 1999), (5000, 5999))


def is_kling_code(code: int) -> bool:
    return any(low <= code <= high for low, high in KLING_CODE_RANGES)


def as_int(value: Any) -> int | None:
    """An integer from an int, an integral float or a short string of ASCII digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if -(10**9) < value < 10**9 else None  # str() of 10**5000 raises
    if isinstance(value, str):
        text = value.strip()
        # isdigit() alone accepts '²' and other digits int() refuses: ASCII only.
        return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


class Draft:
    """What has been read of one record so far."""

    __slots__ = (
        "endpoint", "error_texts", "error_words", "gateway", "gateway_code", "headers",
        "http_status", "level", "messages", "method", "request_id", "retry_after", "service_code",
        "shape", "task_id", "task_messages", "task_status", "texts",
    )  # fmt: skip

    def __init__(self, shape: Shape) -> None:
        self.shape = shape
        self.http_status: int | None = None
        self.service_code: int | None = None
        self.request_id: str | None = None
        self.task_id: str | None = None
        self.task_status: str | None = None
        self.headers: dict[str, str] = {}
        self.retry_after: float | None = None
        self.endpoint: str | None = None
        self.method: str | None = None
        self.gateway: str | None = None
        self.gateway_code: str | None = None
        self.level: str | None = None
        self.messages: list[tuple[int, str]] = []  # (depth, message): the deepest wins
        self.task_messages: list[str] = []
        self.texts: list[str] = []
        self.error_words = False  # True: known to hold error words (an HTML error page)
        self.error_texts: list[str] = []  # texts to search for error words when it matters

    # The first value found wins: outer fields are read before nested ones.
    def set_gateway(self, name: str | None) -> None:
        if self.gateway is None:
            self.gateway = name

    def set_gateway_code(self, code: str | None) -> None:
        if self.gateway_code is None:
            self.gateway_code = code

    def set_request_id(self, request_id: str | None) -> None:
        if self.request_id is None:
            self.request_id = request_id

    def set_task_id(self, task_id: str | None) -> None:
        if self.task_id is None:
            self.task_id = task_id

    def set_endpoint(self, endpoint: str | None) -> None:
        if self.endpoint is None:
            self.endpoint = endpoint

    def set_method(self, method: str) -> None:
        if self.method is None:
            self.method = method.upper()

    def set_level(self, level: str) -> None:
        if self.level is None:
            self.level = level.lower()

    def note_status(self, status: int) -> None:
        """An HTTP status: the first one, unless a later one is an error and it was not."""
        if self.http_status is None or self.http_status < 400 <= status:
            self.http_status = status

    def note_code(self, code: int) -> None:
        """A body ``code``: a Kling service code, or a gateway's own (HTTP-like) code."""
        if code == 0 or is_kling_code(code):
            if self.service_code is None or self.service_code == 0:
                self.service_code = code
            return
        self.set_gateway_code(str(code))
        if 400 <= code <= 599 and (self.http_status is None or self.http_status < 400):
            self.http_status = code  # the body's code beats a 200 on the wire


def clean_all(texts: list[tuple[str | None, int]]) -> list[str | None]:
    """Each (text, limit) trimmed, cut to its limit and redacted — the form every shown
    string takes — with one search for secrets when none holds any."""
    cut = [(None if text is None else scrub(_cut(text, limit)), limit) for text, limit in texts]
    if may_hold_secrets([text for text, _ in cut if text is not None]):
        return [None if text is None else _cut_and_redact(text, limit) for text, limit in cut]
    return [None if text is None else _shorten(text, limit) for text, limit in cut]


def _cut(text: str, limit: int) -> str:
    # Cut before redacting (a 50 MB message costs nothing), with slack so a secret that
    # straddles the limit is still recognised whole.
    return text[: limit + 512].strip()[: limit + 256]


@lru_cache(maxsize=1024)  # failure wordings repeat (a bounded cache: at most ~1 MB)
def _cut_and_redact(text: str, limit: int) -> str:
    return _shorten(redact(scrub(text)), limit)  # a path can hold a key too: /sk-.../v1/videos


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_SURROGATES = re.compile("[\ud800-\udfff]")


def scrub(text: str) -> str:
    """Lone surrogates (JSON can spell "\\ud800") become U+FFFD: no output can encode them."""
    return text if text.isascii() else _SURROGATES.sub("\ufffd", text)
