"""`kling-errors serve`: the real server (uvicorn in a subprocess, on a free loopback port),
spoken to over HTTP. Its answers are the CLI's; its limits, errors and reloads are what the
README promises."""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from kling_errors import Engine

from .conftest import REPO, RULE_TEMPLATE

DIAGNOSIS_SCHEMA = json.loads((REPO / "schemas" / "diagnosis.schema.json").read_text("utf-8"))
SECRET = "sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"


class Server:
    """`python -m kling_errors serve --port 0 ...` and the address it printed."""

    def __init__(self, *args: str, cwd: Path | None = None) -> None:
        command = [sys.executable, "-m", "kling_errors", "serve", "--port", "0", "--no-config"]
        self.process = subprocess.Popen(
            [*command, "--no-access-log", *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
        )
        self.lines: list[str] = []
        self._ready = threading.Event()
        self.url = ""
        threading.Thread(target=self._read, daemon=True).start()
        if not self._ready.wait(60):
            self.stop()
            pytest.fail("the server printed no address:\n" + self.log())
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail("the server never answered /healthz:\n" + self.log())
            time.sleep(0.05)

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)
            if line.startswith("kling-errors serve: http://"):
                self.url = line.split()[2]
                self._ready.set()
        self._ready.set()

    def log(self) -> str:
        return "".join(self.lines)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def http(server: Server) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def _records(engine: Engine) -> list[Any]:
    """A log's worth of records: every built-in rule's examples (objects, and text lines as
    a log file holds them), plus success, unreadable and unmatched ones."""
    found: list[Any] = []
    for rule in engine.rules:
        for record in rule.examples:
            if isinstance(record, dict) or (isinstance(record, str) and "\n" not in record):
                found.append(record)
    found += [
        {"code": 0, "message": "SUCCEED", "data": {"task_status": "succeed"}},
        {"status": 200},
        {"status": 418, "body": {"message": "I'm a teapot", "api_key": SECRET}},
        {"status": 401, "headers": {"Authorization": f"Bearer {SECRET}"}, "body": {"code": 1000}},
        "[2026-11-29 10:00:00] ERROR kling: 429 Too Many Requests",
    ]
    return found


def _cli_lines(records: list[Any], tmp_path: Path, *args: str) -> list[str]:
    """What `classify --format jsonl` writes for the records, logged one per line (objects
    as JSON, text lines as they are)."""
    log = tmp_path / "records.log"
    with log.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write((record if isinstance(record, str) else json.dumps(record)) + "\n")
    command = [sys.executable, "-m", "kling_errors", "classify", str(log), "--format", "jsonl"]
    result = subprocess.run([*command, "--no-config", *args], capture_output=True, check=True)
    return result.stdout.decode().splitlines()


def _cli_jsonl(records: list[Any], tmp_path: Path, *args: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in _cli_lines(records, tmp_path, *args)]


def _without_location(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k != "location"} for row in rows]


# ---- classify -----------------------------------------------------------------------


def test_the_services_answers_are_the_clis(
    http: httpx.Client, engine: Engine, tmp_path: Path
) -> None:
    records = _records(engine)
    assert len(records) > 150
    answer = http.post("/v1/classify", json={"records": records})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    served = answer.json()["records"]
    expected = _cli_jsonl(records, tmp_path)
    assert len(expected) == len(records)
    assert [row["location"] for row in served] == [None] * len(records)
    assert _without_location(served) == _without_location(expected)
    assert [row["index"] for row in served] == list(range(len(records)))
    assert {row["outcome"] for row in served} == {"matched", "unmatched", "not_an_error"}
    assert SECRET not in answer.text
    validator = Draft202012Validator(DIAGNOSIS_SCHEMA)
    assert all(validator.is_valid(row) for row in served)


def test_json_lines_on_request_are_the_clis_lines_byte_for_byte_but_location(
    http: httpx.Client, engine: Engine, tmp_path: Path
) -> None:
    records = _records(engine)[:60]
    answer = http.post(
        "/v1/classify", json={"records": records}, headers={"Accept": "application/x-ndjson"}
    )
    assert answer.headers["content-type"].startswith("application/x-ndjson")
    expected = [
        re.sub(r'"location": "[^"]*"', '"location": null', line, count=1)
        for line in _cli_lines(records, tmp_path)
    ]
    assert answer.text.splitlines() == expected


def test_one_record_gets_one_diagnosis_and_why_on_request(
    http: httpx.Client, tmp_path: Path
) -> None:
    record = {
        "status": 429,
        "body": {"code": 1303, "message": "parallel task over resource pack limit"},
    }
    answer = http.post("/v1/classify", json=record)
    assert answer.status_code == 200
    row = answer.json()
    assert (row["index"], row["rule"], row["category"]) == (
        0,
        "kling.concurrency.1303",
        "concurrency_limit",
    )
    assert row["retry"]["delay_seconds"] == 1.0
    why = http.post("/v1/classify", params={"why": "true"}, json=record).json()
    (cli,) = _cli_jsonl([record], tmp_path, "--why")
    assert why["why"] == cli["why"] and why["why"][0]["won"] is True
    line = http.post("/v1/classify", content=json.dumps("ERROR kling: 504 Gateway Timeout")).json()
    assert line["category"] == "timeout"


# ---- bad input ----------------------------------------------------------------------


def _error(answer: httpx.Response, status: int) -> str:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    error = answer.json()["error"]
    assert error["status"] == status and error["message"]
    message: str = error["message"]
    return message


def test_malformed_json_is_a_400_that_quotes_nothing(http: httpx.Client) -> None:
    body = '{"status": 401, "body": {"api_key": "' + SECRET + '", '
    answer = http.post("/v1/classify", content=body)
    assert "malformed JSON" in _error(answer, 400) and "line 1" in answer.text
    assert SECRET not in answer.text
    assert "empty" in _error(http.post("/v1/classify", content=b"  "), 400)
    assert "UTF-8" in _error(http.post("/v1/classify", content=b'"\xff\xfe\xfa"'), 400)
    assert "nested" in _error(http.post("/v1/classify", content="[" * 100_000), 400)


def test_a_record_of_the_wrong_shape_is_a_422(http: httpx.Client) -> None:
    assert "array" in _error(http.post("/v1/classify", json=[{"status": 500}]), 422)
    assert "records" in _error(http.post("/v1/classify", json={"records": {"status": 500}}), 422)
    both = {"records": [], "status": 500}
    assert "one member" in _error(http.post("/v1/classify", json=both), 422)
    assert http.post("/v1/classify", json={"records": []}).json() == {"records": []}


def test_body_and_batch_limits_answer_413_and_422(http: httpx.Client) -> None:
    big = json.dumps({"status": 500, "body": {"message": "x" * (1 << 20)}})
    assert "1,048,576 bytes" in _error(http.post("/v1/classify", content=big), 413)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while reading
        yield b'{"message": "'
        for _ in range(300):
            yield b"y" * 4096
        yield b'"}'

    assert "larger than the limit" in _error(http.post("/v1/classify", content=chunks()), 413)
    over = {"records": [{"status": 500}] * 1001}
    message = _error(http.post("/v1/classify", json=over), 422)
    assert "1,001 records" in message and "1,000" in message
    full = http.post("/v1/classify", json={"records": [{"status": 500}] * 1000})
    assert full.status_code == 200 and len(full.json()["records"]) == 1000
    assert http.get("/healthz").status_code == 200  # still serving


def test_the_limits_are_options() -> None:
    server = Server("--max-batch", "2", "--max-body-bytes", "200")
    try:
        with server.client() as http:
            assert http.post("/v1/classify", json={"records": [1, 2]}).status_code == 200
            assert "limit is 2" in _error(
                http.post("/v1/classify", json={"records": [1, 2, 3]}), 422
            )
            assert "200 bytes" in _error(http.post("/v1/classify", json={"m": "z" * 200}), 413)
            limits = http.get("/openapi.json").json()["paths"]["/v1/classify"]["post"][
                "description"
            ]
            assert "200 bytes" in limits and "2 records" in limits
    finally:
        server.stop()


def test_unknown_paths_and_methods_answer_json(http: httpx.Client) -> None:
    assert "no such endpoint" in _error(http.get("/v2/classify"), 404)
    answer = http.get("/v1/classify")
    assert "POST" in _error(answer, 405) and answer.headers["allow"] == "POST"


# ---- explain, check-request, rules, health, openapi ------------------------------------


def test_explain_tells_rules_apart_with_their_conditions(http: httpx.Client) -> None:
    answer = http.get("/v1/explain/1201")
    assert answer.status_code == 200
    rules = answer.json()["rules"]
    assert len(rules) >= 5 and all(r["id"].startswith("kling.request.1201") for r in rules)
    conditions = [json.dumps(r["match"], sort_keys=True) for r in rules]
    assert len(set(conditions)) == len(rules)  # each told apart by what it matches
    one = http.get("/v1/explain/kling.concurrency.1303").json()["rules"]
    assert [r["id"] for r in one] == ["kling.concurrency.1303"]
    assert one[0]["retry"]["strategy"] == "wait_for_capacity"
    missing = http.get(f"/v1/explain/{SECRET}")
    assert "nothing known" in _error(missing, 404) and SECRET not in missing.text


def _png(path: Path, width: int, height: int) -> Path:
    chunk = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    ihdr = b"IHDR" + chunk
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + ihdr + struct.pack(">I", zlib.crc32(ihdr))
    )
    return path


def test_check_request_answers_as_the_cli_and_reads_no_files(
    http: httpx.Client, tmp_path: Path
) -> None:
    payload = {
        "model_name": "kling-v2-master",
        "prompt": "a fox",
        "duration": "7",
        "cfg_scale": 0.5,
    }
    answer = http.post("/v1/check-request", json=payload).json()
    (tmp_path / "payload.json").write_text(json.dumps(payload))
    cli = subprocess.run(
        [sys.executable, "-m", "kling_errors", "check-request", str(tmp_path / "payload.json"),
         "--format", "jsonl"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert cli.returncode == 6
    assert answer["violations"] == json.loads(cli.stdout)["violations"]
    assert (answer["ok"], answer["errors"], answer["endpoint"]) == (False, 2, "text2video")
    small = _png(tmp_path / "small.png", 100, 100)  # the CLI would read it: "under 300 px"
    image = {"model_name": "kling-v1", "image": str(small)}
    found = http.post("/v1/check-request", params={"endpoint": "image2video"}, json=image).json()
    assert [v["message"] for v in found["violations"]] == [
        "a file path: the service does not read files"
    ]
    bad = http.post("/v1/check-request", params={"endpoint": "text2image"}, json=payload)
    assert "text2video or image2video" in _error(bad, 422)


def test_rules_is_the_export_with_an_etag(http: httpx.Client) -> None:
    answer = http.get("/v1/rules")
    exported = subprocess.run(
        [sys.executable, "-m", "kling_errors", "rules", "export", "--no-config"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    assert answer.content == exported
    etag = answer.headers["etag"]
    assert etag == f'"{answer.json()["digest"]}"'
    assert http.get("/v1/rules", headers={"If-None-Match": etag}).status_code == 304


def test_health_and_a_valid_openapi_document(http: httpx.Client, server: Server) -> None:
    health = http.get("/healthz").json()
    assert health["status"] == "ok" and health["rules"] == len(Engine().rules)
    assert server.url.startswith("http://127.0.0.1:")  # loopback unless told otherwise
    from openapi_spec_validator import validate

    document = http.get("/openapi.json").json()
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert {
        ("post", "/v1/classify"), ("get", "/v1/explain/{query}"), ("post", "/v1/check-request"),
        ("get", "/healthz"), ("get", "/openapi.json"), ("get", "/v1/rules"),
    } <= {(m, p) for p, item in document["paths"].items() for m in item}  # fmt: skip


NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_the_readmes_fetch_example_runs_on_node(server: Server, tmp_path: Path) -> None:
    """The README's Node example, pointed at this server: its diagnosis is the service's."""
    assert NODE is not None
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Beyond Python") :]
    (example,) = [b for b in re.findall(r"```js\n(.*?)```", section, re.DOTALL) if "fetch(" in b]
    assert "http://127.0.0.1:8080" in example
    script = example.replace("http://127.0.0.1:8080", server.url)
    (tmp_path / "diagnose.mjs").write_text(script + "console.log(JSON.stringify(d));\n")
    result = subprocess.run(
        [NODE, "diagnose.mjs"], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=True
    )
    diagnosis = json.loads(result.stdout.splitlines()[-1])
    assert (diagnosis["rule"], diagnosis["retryable"]) == ("kling.concurrency.1303", True)
    assert diagnosis["retry"]["delay_seconds"] == 3.0  # the Retry-After it sent


# ---- reloading --------------------------------------------------------------------------


def _wait_for(condition: Any, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP on this platform")
def test_sighup_reloads_the_rules_and_a_bad_reload_keeps_them(tmp_path: Path) -> None:
    rules = tmp_path / "team.yaml"
    match = "{message: 'acme budget spent'}"
    rules.write_text(RULE_TEMPLATE.format(id="team.first", category="server_error", match=match))
    server = Server("--rules", str(rules))
    record = {"status": 503, "body": {"message": "acme budget spent"}}
    try:
        with server.client() as http:
            assert http.post("/v1/classify", json=record).json()["rule"] == "team.first"
            rules.write_text(
                RULE_TEMPLATE.format(id="team.second", category="quota_billing", match=match)
            )
            server.process.send_signal(signal.SIGHUP)
            _wait_for(lambda: http.get("/healthz").json()["reloads"] == 1)
            answer = http.post("/v1/classify", json=record).json()
            assert (answer["rule"], answer["category"]) == ("team.second", "quota_billing")

            rules.write_text("rules: [{id: team.broken, title: 1}]\n")
            server.process.send_signal(signal.SIGHUP)
            _wait_for(lambda: http.get("/healthz").json()["last_reload_error"] is not None)
            assert http.post("/v1/classify", json=record).json()["rule"] == "team.second"
            assert http.get("/healthz").json()["reloads"] == 1
            _wait_for(lambda: "rule reload failed" in server.log())
            assert "team.yaml" in server.log()  # the log says why
    finally:
        server.stop()
    # SIGTERM: a graceful shutdown (uvicorn then ends by the signal it received, as it should)
    assert server.process.returncode in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in server.log()


def test_a_bad_rule_set_fails_at_start_with_exit_3(tmp_path: Path) -> None:
    rules = tmp_path / "bad.yaml"
    rules.write_text("rules: [{id: team.broken, title: 1}]\n")
    result = subprocess.run(
        [sys.executable, "-m", "kling_errors", "serve", "--port", "0", "--no-config",
         "--rules", str(rules)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 3 and "bad.yaml" in result.stderr


def test_a_port_in_use_is_a_clear_error_with_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "kling_errors", "serve", "--port", str(port), "--no-config"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "hint:" in result.stderr


def test_without_the_extra_the_error_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from kling_errors.cli import main

    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn -> ImportError
    result = CliRunner().invoke(main, ["serve", "--no-config"])
    assert result.exit_code == 2
    assert "kling-errors[serve]" in result.output


# ---- the coprocess route ------------------------------------------------------------------


def test_classify_answers_each_line_of_a_pipe_at_once() -> None:
    """A coprocess: write one record, read its answer before writing the next."""
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    process = subprocess.Popen(
        [sys.executable, "-m", "kling_errors", "classify", "--format", "jsonl", "--no-config"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=environment,
    )  # fmt: skip
    assert process.stdin is not None and process.stdout is not None
    try:
        for code in (1303, 1102):
            process.stdin.write(
                json.dumps({"status": 429, "body": {"code": code}}).encode() + b"\n"
            )
            process.stdin.flush()
            ready, _, _ = select.select([process.stdout], [], [], 5)
            assert ready, "no answer while the pipe stays open"
            assert json.loads(process.stdout.readline())["service_code"] == code
    finally:
        process.kill()
        process.wait()
