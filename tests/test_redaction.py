"""Secrets never reach any output, and redaction keeps what diagnosis needs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kling_errors import KlingAPIError, classify, raise_for_error
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


# Every output of classify: the formats, --why and the summary.
CLASSIFY_OUTPUTS = [
    ["classify", "--format", "jsonl"],
    ["classify", "--format", "json"],
    ["classify", "--format", "text"],
    ["classify", "--why", "--format", "jsonl"],
    ["classify", "--summary", "--format", "text"],
    ["classify", "--summary", "--format", "json"],
]


@pytest.mark.parametrize("args", CLASSIFY_OUTPUTS)
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
        "Unauthorized: Invalid API key",
        "Authentication failed: check the key",
        "KLING_ACCESS_KEY / KLING_SECRET_KEY are not configured",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact(text) == text


# Every shape of issue 13's list: (a record holding the secret, the secret itself).
SHAPES: list[tuple[str, str]] = [
    (
        "ERROR env AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMIK7MDENG",
    ),
    ("ERROR env KLING_SECRET_KEY=kSecretValue0123456789 failed", "kSecretValue0123456789"),
    ("ERROR 401 headers X-Auth-Token: tokValue0123456789abc", "tokValue0123456789abc"),
    ('ERROR 400 body="{\\"api_key\\": \\"escapedSecret0123456789\\"}"', "escapedSecret0123456789"),
    (
        '{"status": 401, "headers": {"x-api-key": ["listedSecret0123456789"]}, "body": ""}',
        "listedSecret0123456789",
    ),
    ("ERROR 502 calling https://bot:userinfoPass0123@gw.example.com/v1", "userinfoPass0123"),
    ("ERROR 401 密钥：chineseSecret0123456789", "chineseSecret0123456789"),
    ("ERROR 403 GET https://gw.example.com/v1?auth=queryAuth0123456789&x=1", "queryAuth0123456789"),
    ("ERROR 403 GET https://gw.example.com/v1?private_key=privKey0123456789", "privKey0123456789"),
    ("ERROR ran curl -u alice:curlPass0123456789 https://api.klingai.com", "curlPass0123456789"),
    ("ERROR 401 bare token sk-bareOpenAIkey0123456789abc", "sk-bareOpenAIkey0123456789abc"),
    ("ERROR 401 bare AKIAQWERTYUIOPASDFGH", "AKIAQWERTYUIOPASDFGH"),
    ("ERROR 401 ghp_githubToken0123456789abcdefghij", "ghp_githubToken0123456789abcdefghij"),
    (
        '{"status": 400, "url": "https://gw.example.com/sk-pathKey0123456789abcdef/v1/videos/image2video", '
        '"body": {"code": 1201, "message": "Something went wrong when we tried to get the contents of the file."}}',
        "sk-pathKey0123456789abcdef",
    ),
    (
        '{"status": 401, "config": {"access_key": "AKcfg0123456789", "secret_key": "SKcfg0123456789", '
        '"api_key": "apiCfg0123456789"}, "body": {"code": 1000}}',
        "cfg0123456789",
    ),
    (
        '{"request": {"url": "https://api.klingai.com/v1/videos", "queryString": [{"name": "token", '
        '"value": "harQuery0123456789"}], "cookies": [{"name": "sid", "value": "harCookie0123456789"}], '
        '"postData": {"params": [{"name": "password", "value": "harPost0123456789"}]}}, '
        '"response": {"status": 401, "content": {"text": "{\\"code\\": 1000}"}}}',
        "0123456789",
    ),
    (
        "ERROR 401 headers [('Authorization', 'Bearer pairBearer0123456789')]",
        "pairBearer0123456789",
    ),
]


def _shape_log() -> str:
    return "".join(record + "\n" for record, _ in SHAPES)


@pytest.mark.parametrize("args", CLASSIFY_OUTPUTS)
def test_every_shape_is_redacted_on_every_classify_output(args: list[str]) -> None:
    result = CliRunner().invoke(main, args, input=_shape_log())
    assert result.exit_code == 0
    for record, secret in SHAPES:
        assert secret not in result.stdout, f"{secret} leaked through {args} from {record}"
        assert secret not in result.stderr


def test_every_shape_is_redacted_in_files_exceptions_events_and_scaffolds(tmp_path: Path) -> None:
    out = tmp_path / "report.jsonl"
    assert CliRunner().invoke(main, ["classify", "-o", str(out)], input=_shape_log()).exit_code == 0
    written = out.read_text()
    for record, secret in SHAPES:
        value: object = json.loads(record) if record.startswith("{") else record
        diagnosis = classify(value)
        assert secret not in repr(diagnosis.event) and secret not in str(diagnosis), record
        assert secret not in written, record
        with pytest.raises(KlingAPIError) as raised:
            raise_for_error(value)
        assert secret not in str(raised.value) and secret not in repr(raised.value), record
        scaffold = CliRunner().invoke(main, ["rules", "new", "--from", "-"], input=record + "\n")
        assert secret not in scaffold.stdout, record


def test_rule_file_problems_quote_only_a_short_redacted_excerpt(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text("'https://bot:ghp_aaaaBBBBccccDDDDeeeeFFFF0000@github.com/" + "x" * 500 + "'\n")
    result = CliRunner().invoke(main, ["rules", "validate", str(path)])
    assert result.exit_code == 3
    assert "ghp_aaaaBBBB" not in result.stderr + result.stdout
    assert all(len(line) < 400 for line in result.stderr.splitlines())


def test_generated_docs_never_print_a_rule_examples_secret(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(
        "version: 1\nrules:\n  - id: team.leak\n    title: A team rule\n    category: auth\n"
        "    severity: error\n    match: {http_status: 401}\n    causes: [c]\n    fixes: [f]\n"
        "    retryable: false\n    retry: {strategy: none}\n"
        "    source: {kind: observed_log, ref: ours}\n"
        '    examples: [{status: 401, config: {secret_key: "docSecret0123456789"}}]\n'
    )
    result = CliRunner().invoke(main, ["docs", "--rules", str(path), "--no-config"])
    assert result.exit_code == 0 and "docSecret0123456789" not in result.stdout
