"""Pre-flight request checks: each constraint caught with its field, valid bodies pass."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from kling_errors import check_request
from kling_errors._preflight import image_info
from kling_errors.cli import main


def png(width: int, height: int, padding: int = 0) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk
            + struct.pack(">I", zlib.crc32(chunk)) + b"\x00" * padding)  # fmt: skip


def jpeg(width: int, height: int) -> bytes:
    app0 = (
        b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00" + b"\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    )
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof + b"\xff\xd9"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


VALID = {
    "text2video": [
        {"prompt": "a red fox running through snow"},
        {
            "model_name": "kling-v1-6",
            "prompt": "a fox",
            "negative_prompt": "blur",
            "cfg_scale": 0.5,
            "mode": "pro",
            "aspect_ratio": "9:16",
            "duration": "10",
            "camera_control": {"type": "simple", "config": {"zoom": 5}},
        },
        {
            "model_name": "kling-v2-6",
            "prompt": "a fox",
            "duration": "8",
            "sound": "on",
            "callback_url": "https://example.com/hook",
            "external_task_id": "job-1",
        },
    ],
    "image2video": [
        {"image": "https://example.com/fox.jpg"},
        {
            "model_name": "kling-v2-1",
            "image": b64(png(1280, 720)),
            "prompt": "the fox turns",
            "duration": "5",
        },
        {"image": b64(jpeg(720, 1280)), "image_tail": b64(jpeg(720, 1280))},
    ],
}


@pytest.mark.parametrize(("endpoint", "payload"), [(e, p) for e, ps in VALID.items() for p in ps])
def test_valid_payloads_pass(endpoint: str, payload: dict) -> None:
    assert check_request(payload, endpoint) == []


T2V = [
    ({"prompt": "x" * 2501}, "$.prompt", "2501 characters, the limit is 2500"),
    ({"prompt": "a", "negative_prompt": "n" * 2600}, "$.negative_prompt", "the limit is 2500"),
    ({"negative_prompt": "blur"}, "$", "missing multi_prompt or prompt"),
    ({"prompt": "a", "aspect_ratio": "4:3"}, "$.aspect_ratio", "'4:3' is not accepted"),
    ({"prompt": "a", "mode": "turbo"}, "$.mode", "'turbo' is not accepted"),
    ({"prompt": "a", "cfg_scale": 1.5}, "$.cfg_scale", "1.5 is greater than the maximum of 1"),
    (
        {"model_name": "kling-v2-master", "prompt": "a", "cfg_scale": 0.5},
        "$.cfg_scale",
        "does not support cfg_scale",
    ),
    ({"prompt": "a", "duration": "7"}, "$.duration", "kling-v1 does not take duration 7"),
    (
        {"model_name": "kling-v2-5-turbo", "prompt": "a", "duration": "15"},
        "$.duration",
        "does not take duration 15",
    ),
    ({"prompt": "a", "sound": "on"}, "$.sound", "kling-v1 cannot generate sound"),
    (
        {"model_name": "kling-v9", "prompt": "a"},
        "$.model_name",
        "'kling-v9' is not a model of text2video",
    ),
    (
        {"prompt": "a", "camera_control": {"config": {"pan": 3, "zoom": 2}}},
        "$.camera_control.config",
        "2 non-zero axes",
    ),
    (
        {"prompt": "a", "camera_control": {"config": {"zoom": 11}}},
        "$.camera_control.config.zoom",
        "greater than the maximum",
    ),
    ({"prompt": "a", "callback_url": "ftp://x"}, "$.callback_url", "does not match"),
    ({"prompt": "a", "multi_prompt": ["x"] * 7}, "$.multi_prompt", "too long"),
]


@pytest.mark.parametrize(("payload", "path", "text"), T2V)
def test_each_text2video_constraint_is_caught_with_its_field(
    payload: dict, path: str, text: str
) -> None:
    errors = [v for v in check_request(payload, "text2video") if v.severity == "error"]
    assert any(v.path == path and text in v.message for v in errors), errors
    assert all(v.fix for v in errors)


I2V = [
    ({"prompt": "a"}, "$", "missing image or image_tail"),
    ({"image": "data:image/png;base64," + b64(png(800, 800))}, "$.image", "data: URI prefix"),
    ({"image": "not base64 !!"}, "$.image", "neither a URL"),
    ({"image": b64(png(200, 800))}, "$.image", "200x800 px: a side is under 300 px"),
    ({"image": b64(png(3000, 1000))}, "$.image", "aspect ratio 3000:1000 is outside"),
    ({"image": b64(b"GIF89a" + b"\x00" * 30)}, "$.image", "gif is not JPG or PNG"),
    ({"image": b64(png(1000, 1000, padding=11 * 1024 * 1024))}, "$.image", "the limit is 10 MB"),
    (
        {
            "image": b64(jpeg(640, 640)),
            "image_tail": b64(jpeg(640, 640)),
            "camera_control": {"config": {"zoom": 1}},
        },
        "$",
        "cannot be combined",
    ),
    (
        {"model_name": "kling-v2-master", "image": "https://x/y.png", "cfg_scale": 0.3},
        "$.cfg_scale",
        "does not support",
    ),
]


@pytest.mark.parametrize(("payload", "path", "text"), I2V)
def test_each_image2video_constraint_is_caught_with_its_field(
    payload: dict, path: str, text: str
) -> None:
    errors = [v for v in check_request(payload, "image2video") if v.severity == "error"]
    assert any(v.path == path and text in v.message for v in errors), errors


def test_base64_prefix_names_the_matching_rule() -> None:
    (violation,) = check_request({"image": "data:image/jpeg;base64,/9j/4AAQ"}, "image2video")
    assert (violation.service_code, violation.rule) == (1201, "kling.request.1201.base64_prefix")


def test_local_image_files_are_read_from_their_header(tmp_path: Path) -> None:
    (tmp_path / "small.png").write_bytes(png(100, 100))
    found = check_request({"image": "small.png"}, "image2video", base_dir=tmp_path)
    assert [v.message for v in found] == ["100x100 px: a side is under 300 px"]


def test_image_headers_are_parsed_without_an_image_library() -> None:
    assert image_info(png(1920, 1080)) == ("png", 1920, 1080)
    assert image_info(jpeg(640, 480)) == ("jpeg", 640, 480)
    assert image_info(b"hello") is None


def test_unknown_keys_and_numeric_duration_are_warnings() -> None:
    found = check_request({"prompt": "a", "promt": "typo", "duration": 5}, "text2video")
    assert {(v.path, v.severity) for v in found} == {
        ("$.promt", "warning"),
        ("$.duration", "warning"),
    }


def test_content_watch_list_warns_with_1301_and_is_extensible(tmp_path: Path) -> None:
    (warning,) = check_request({"prompt": "a woman in a bathtub"}, "text2video")
    assert (warning.severity, warning.service_code, warning.path) == ("warning", 1301, "$.prompt")
    terms = tmp_path / "terms.yaml"
    terms.write_text("terms:\n  - {pattern: '\\bbrandname\\b', note: our legal team says no}\n")
    result = CliRunner().invoke(
        main, ["check-request", "--terms", str(terms)], input='{"prompt": "a brandname ad"}\n'
    )
    assert result.exit_code == 0 and "our legal team says no" in result.stdout


def test_cli_reads_json_lines_and_fails_on_errors(tmp_path: Path) -> None:
    payloads = tmp_path / "bodies.jsonl"
    payloads.write_text('{"prompt": "ok"}\n{"prompt": "a", "duration": "7"}\n')
    result = CliRunner().invoke(main, ["check-request", str(payloads), "--format", "jsonl"])
    assert result.exit_code == 6
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [len(r["violations"]) for r in rows] == [0, 1]
    assert rows[1]["violations"][0]["path"] == "$.duration"
    ok = CliRunner().invoke(
        main, ["check-request", "--endpoint", "image2video"], input='{"image": "https://x/a.png"}\n'
    )
    assert ok.exit_code == 0 and ok.stdout.strip().endswith("ok")
