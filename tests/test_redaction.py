"""Secrets never reach any output, and redaction keeps what diagnosis needs."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kling_errors._redact import redact
from kling_errors.cli import main

JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJBS0lEMTIzIiwiZXhwIjoxNzAwMDAwMDAwfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
SECRETS = {
    "jwt": JWT,
    "bearer": "Bearer abcdEFGH1234ijklMNOP",
    "sk": "sk-live-0123456789abcdefghij",
    "aws": "AKIAIOSFODNN7EXAMPLE",
    "fal": "8f0b1c2d-1111-2222-3333-444455556666:0123456789abcdef0123456789abcdef",
    "access_key": "AK_kling_secret_value_77",
    "secret_key": "SK_kling_secret_value_99",
    "query": "AIzaSyQueryParamKey123",
    "s3": "c0ffeeSignatureHexValue0123456789abcdef",
    "oss": "LTAI5tOssAccessKeyId9",
}
RECORDS = [
    {
        "status": 401,
        "headers": {"Authorization": f"Bearer {JWT}", "x-api-key": "plainkey123456"},
        "body": {"code": 1004, "message": "Authorization has expired", "request_id": "req-777"},
    },
    f'2026-01-01 ERROR call failed Authorization: Bearer {JWT} {{"code": 1003, "message": "Authorization is not yet valid", "request_id": "req-778"}}',
    f"requests.exceptions.ConnectionError: HTTPSConnectionPool(host='x', port=443): Max retries exceeded with url: /v1?key={SECRETS['query']} [Errno 111] Connection refused",
    f'{{"level": "error", "msg": "kling failed access_key={SECRETS["access_key"]} secret_key={SECRETS["secret_key"]}", "http_status": 500}}',
    f"openai.AuthenticationError: Incorrect API key provided: {SECRETS['sk']} aws {SECRETS['aws']} fal Key {SECRETS['fal']}",
    f"what is this {SECRETS['bearer']}",
    {
        "status": 400,
        "body": {
            "code": 1201,
            "message": "Something went wrong when we tried to get the contents of the file.",
        },
        "request": {
            "url": f"https://bucket.s3.amazonaws.com/a.png?X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261125&X-Amz-Signature={SECRETS['s3']}"
        },
    },
    f"GET https://b.oss-cn-beijing.aliyuncs.com/x.jpg?OSSAccessKeyId={SECRETS['oss']}&Expires=1&Signature={SECRETS['s3']} failed: 403",
    {
        "log": "har-like",
        "request": {"headers": [{"name": "x-api-key", "value": "plainkey123456"}]},
        "response": {"status": 401, "content": {"text": '{"code": 1000}'}},
    },
]


def _log() -> str:
    return "\n".join(json.dumps(r) if isinstance(r, dict) else r for r in RECORDS) + "\n"


@pytest.mark.parametrize(
    "args",
    [
        ["classify", "--format", "jsonl"],
        ["classify", "--format", "json"],
        ["classify", "--format", "text"],
        ["classify", "--summary", "--format", "text"],
        ["classify", "--summary", "--format", "json"],
    ],
)
def test_no_secret_survives_any_output(args: list[str]) -> None:
    result = CliRunner().invoke(main, args, input=_log())
    assert result.exit_code == 0
    for name, secret in [*SECRETS.items(), ("header", "plainkey123456")]:
        assert secret not in result.stdout, f"{name} leaked through {args}"
        assert secret[8:24] not in result.stdout, f"part of {name} leaked through {args}"


def test_no_secret_survives_why_output_or_a_scaffolded_rule() -> None:
    runner = CliRunner()
    why = runner.invoke(main, ["classify", "--why", "--format", "jsonl"], input=_log()).stdout
    scaffolds = [
        runner.invoke(main, ["rules", "new", "--from", "-"], input=line + "\n").stdout
        for line in _log().splitlines()
    ]
    for name, secret in [*SECRETS.items(), ("header", "plainkey123456")]:
        assert secret not in why, name
        for text in scaffolds:
            assert secret not in text, name


def test_redaction_keeps_code_message_and_request_id() -> None:
    result = CliRunner().invoke(main, ["classify", "--format", "jsonl"], input=_log())
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert (rows[0]["service_code"], rows[0]["request_id"], rows[0]["message"]) == (
        1004,
        "req-777",
        "Authorization has expired",
    )
    assert (rows[1]["rule"], rows[1]["request_id"]) == ("kling.auth.1003", "req-778")
    assert rows[2]["rule"] == "transport.connection_refused"


@pytest.mark.parametrize(
    "text",
    [
        '{"code":1201,"message":"Invalid parameters, such as incorrect key or illegal value","request_id":"85814f13-15a6-4450-9759-34eb59963085"}',
        "task_id=866118282290851899 max_tokens=5 tokens used",
        "Something went wrong when we tried to get the contents of the file.",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact(text) == text
