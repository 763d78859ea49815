"""Secret redaction. Applied to every string of an event and again to every output record.

Kling tokens are JWTs signed with the account's SecretKey; gateways use `x-api-key` or
`Authorization: Key ...`. Redaction keeps what diagnosis needs (code, message,
request_id) and replaces the secret value with ``[secure]``, like httpx does.
"""

from __future__ import annotations

import re
from typing import Any

SECURE = "[secure]"

SECRET_HEADERS = frozenset(
    [
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
        "apikey",
        "x-fal-key",
        "cookie",
        "set-cookie",
        "x-access-key",
        "x-secret-key",
        "x-auth-token",
        "webhook-signature",
    ]
)

_NAMES = (
    r"x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential"
    r"|ossaccesskeyid|security-token"
    r"|authorization|proxy-authorization|x-api-key|api[_-]?key|apikey|x-fal-key|access[_-]?key"
    r"(?:[_-]?id)?|secret[_-]?key|secret|client[_-]?secret|access[_-]?token|refresh[_-]?token"
    r"|auth[_-]?token|token|password|passwd|signature|sig|key|ak|sk|cookie"
)

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # "Authorization": "Bearer x", api_key=x, ?key=x, 'secret_key': 'x', X-API-Key: x
    (
        re.compile(
            rf"(?i)(?<![\w-])((?:{_NAMES}))([\"']?\s*[:=]\s*[\"']?)"
            r"((?:Bearer|Basic|Key|Token)\s+)?[^\s\"'&,;}\])]+"
        ),
        r"\1\2\3" + SECURE,
    ),
    # Bearer / Key schemes wherever they appear.
    (re.compile(r"(?i)\b(Bearer|Basic)\s+(?!\[secure\])[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + SECURE),
    # JWT-shaped strings (Kling's API token is an HS256 JWT).
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), SECURE),
    # Well-known key shapes: sk-..., AWS access key ids, fal "uuid:hex" keys.
    (re.compile(r"\bsk-[A-Za-z0-9_-]{16,}"), SECURE),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), SECURE),
    (
        re.compile(
            r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:[0-9a-f]{32}\b"
        ),
        SECURE,
    ),
)
# Cheap pre-check (plain substring tests on the lowered text): a string with none of
# these cannot hold a secret we would redact, and most log lines have none.
_TRIGGERS = (
    "bearer", "basic", "eyj", "sk-", "akia", "key", "secret", "token", "passw", "auth",
    "sig", "cookie", "credential", "security",
)  # fmt: skip
_SHORT_NAMES = re.compile(r"(?i)(?<![\w-])[as]k\b")
_FAL_KEY_HINT = re.compile(r":[0-9a-f]{32}")


def redact(text: str) -> str:
    lowered = text.lower()
    if not (
        any(t in lowered for t in _TRIGGERS)
        or _SHORT_NAMES.search(text)
        or (":" in text and _FAL_KEY_HINT.search(lowered))
    ):
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_data(value: Any, depth: int = 0) -> Any:
    """Redact every string in a JSON-like value (mapping keys name secret headers too)."""
    if isinstance(value, str):
        return redact(value)
    if depth > 64:
        return value
    if isinstance(value, dict):
        # HAR headers are {"name": "x-api-key", "value": "..."} pairs.
        name = value.get("name")
        secret_pair = isinstance(name, str) and name.lower() in SECRET_HEADERS
        return {
            k: (
                SECURE
                if isinstance(v, str)
                and (
                    (isinstance(k, str) and k.lower() in SECRET_HEADERS)
                    or (secret_pair and k == "value")
                )
                else redact_data(v, depth + 1)
            )
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_data(v, depth + 1) for v in value]
    return value
