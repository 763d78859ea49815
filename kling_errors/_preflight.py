"""Pre-flight: the request checks Kling would fail with 1201 (or 1301), run before sending.

Field types and ranges come from schemas/requests/<endpoint>.schema.json, per-model limits
(cfg_scale, durations, modes, sound) from schemas/requests/models.json, content hints from
schemas/requests/content-watchlist.json (plus --terms files): a new model is a data change.
Images given as raw Base64 or as a local path are checked from their header bytes.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ._paths import schemas_dir
from ._regex import compile_rule_regex, regex_error

ENDPOINTS = ("text2video", "image2video")
_CAMERA_AXES = ("horizontal", "vertical", "pan", "tilt", "roll", "zoom")


@dataclass(frozen=True)
class Violation:
    """One problem with a request body; ``severity`` "warning" does not fail the check."""

    path: str  # JSON path, e.g. $.duration
    message: str
    fix: str
    severity: str = "error"
    service_code: int | None = 1201
    rule: str | None = "kling.request.1201"

    def __str__(self) -> str:
        kling = f" — Kling would answer {self.service_code} ({self.rule})"
        return f"{self.path}: {self.severity}: {self.message}; fix: {self.fix}{kling}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path, "severity": self.severity, "message": self.message,
            "fix": self.fix, "service_code": self.service_code, "rule": self.rule,
        }  # fmt: skip


@lru_cache(maxsize=8)
def _data(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((schemas_dir() / "requests" / name).read_text("utf-8"))
    return data


def _schema_violations(payload: dict[str, Any], endpoint: str) -> list[Violation]:
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    registry = Registry().with_resources(
        (f"{name}.schema.json", Resource.from_contents(_data(f"{name}.schema.json")))
        for name in ENDPOINTS
    )
    validator = Draft202012Validator(_data(f"{endpoint}.schema.json"), registry=registry)
    found = []
    for error in validator.iter_errors(payload):
        path = error.json_path
        if error.validator == "anyOf" and not error.absolute_path:
            needed = " or ".join(sorted({r for s in error.validator_value for r in s["required"]}))
            found.append(Violation("$", f"missing {needed}", f"set {needed}"))
            continue
        message, fix = error.message, "see the endpoint's documentation for this field"
        if error.validator == "maxLength":
            message = f"{len(error.instance)} characters, the limit is {error.validator_value}"
            fix = f"shorten it to at most {error.validator_value} characters"
        elif error.validator == "enum":
            message = f"{error.instance!r} is not accepted"
            fix = f"use one of {', '.join(map(str, error.validator_value))}"
        elif error.validator in ("minimum", "maximum"):
            fix = "keep it within the documented range"
        elif error.validator == "type":
            fix = f"send a {error.validator_value}"
        elif error.validator == "maxItems":
            fix = f"send at most {error.validator_value} items"
        found.append(Violation(path, message, fix))
    return found


def _model_violations(payload: dict[str, Any], endpoint: str) -> list[Violation]:
    table = _data("models.json")
    spec = table["endpoints"][endpoint]
    model = payload.get("model_name") or payload.get("model") or spec["default_model"]
    if not isinstance(model, str):
        return []
    if model not in spec["models"]:
        return [
            Violation(
                "$.model_name",
                f"{model!r} is not a model of {endpoint}",
                f"use one of {', '.join(spec['models'])}",
                service_code=1203,
                rule="kling.request.1203",
            )
        ]
    limits = table["models"][model]
    found = []
    if "cfg_scale" in payload and not limits["cfg_scale"]:
        found.append(
            Violation("$.cfg_scale", f"{model} does not support cfg_scale", "remove cfg_scale")
        )
    duration = payload.get("duration")
    if duration is not None:
        if isinstance(duration, int) and not isinstance(duration, bool):
            found.append(
                Violation(
                    "$.duration",
                    "duration is a number; the API documents a string",
                    f'send "{duration}"',
                    severity="warning",
                )
            )
        if str(duration) not in limits["durations"]:
            found.append(
                Violation(
                    "$.duration",
                    f"{model} does not take duration {duration}",
                    f"use one of {', '.join(limits['durations'])}",
                )
            )
    if isinstance(payload.get("mode"), str) and payload["mode"] not in limits["modes"]:
        found.append(
            Violation(
                "$.mode",
                f"{model} has no mode {payload['mode']!r}",
                f"use {' or '.join(limits['modes'])}",
            )
        )
    if payload.get("sound") == "on" and not limits["sound"]:
        found.append(
            Violation(
                "$.sound",
                f"{model} cannot generate sound",
                "remove sound, or use kling-v2-6 or later",
            )
        )
    return found


def _structure_violations(payload: dict[str, Any], endpoint: str) -> list[Violation]:
    found = []
    known = set(_data(f"{endpoint}.schema.json")["properties"])
    for key in payload:
        if key not in known:
            found.append(
                Violation(
                    f"$.{key}",
                    f"{key!r} is not a documented {endpoint} parameter",
                    "check the spelling; Kling answers 1201 for an incorrect key",
                    severity="warning",
                )
            )
    camera = payload.get("camera_control")
    config = camera.get("config") if isinstance(camera, dict) else None
    if isinstance(config, dict):
        moving = [axis for axis in _CAMERA_AXES if config.get(axis) not in (None, 0)]
        if len(moving) != 1:
            found.append(
                Violation(
                    "$.camera_control.config",
                    f"{len(moving)} non-zero axes ({', '.join(moving) or 'none'})",
                    "set exactly one of horizontal, vertical, pan, tilt, roll, zoom",
                )
            )
    if endpoint == "image2video":
        groups = {"image_tail": "tail", "static_mask": "masks", "dynamic_masks": "masks",
                  "camera_control": "camera"}  # fmt: skip
        exclusive = [k for k in groups if payload.get(k)]
        if len({groups[k] for k in exclusive}) > 1:
            found.append(
                Violation(
                    "$",
                    f"{', '.join(exclusive)} cannot be combined",
                    "use only one of image_tail, masks, camera_control",
                )
            )
    return found


# ---- images ---------------------------------------------------------------------


def _image_header(value: str, base: Path | None) -> tuple[bytes, int] | str | None:
    """(first bytes, total size) of a Base64 or local-file image; a problem text; None: a URL."""
    if value.startswith(("http://", "https://")):
        return None
    if value.startswith("data:"):
        return "data-uri"
    path = Path(value) if base is None else base / value
    suffixes = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp")
    if len(value) < 4096 and path.suffix.lower() in suffixes and path.is_file():
        with open(path, "rb") as handle:
            return handle.read(65536), path.stat().st_size
    try:
        head = base64.b64decode(value[:87384], validate=True)  # a prefix multiple of 4
        size = len(value) * 3 // 4 - value.count("=", -2)
    except (binascii.Error, ValueError):
        return "not-base64"
    return head, size


def image_info(data: bytes) -> tuple[str, int, int] | None:
    """(format, width, height) from a JPEG or PNG header, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return "png", width, height
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            length = struct.unpack(">H", data[i + 2 : i + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return "jpeg", width, height
            i += 2 + length
        return "jpeg", 0, 0
    for magic, name in ((b"GIF8", "gif"), (b"RIFF", "webp"), (b"BM", "bmp")):
        if data.startswith(magic):
            return name, 0, 0
    return None


def _image_violations(payload: dict[str, Any], base: Path | None) -> list[Violation]:
    limits = _data("models.json")["image"]
    found = []
    for key in ("image", "image_tail"):
        value = payload.get(key)
        if not isinstance(value, str) or not value:
            continue
        header = _image_header(value, base)
        path = f"$.{key}"
        if header is None:
            continue
        if header == "data-uri":
            found.append(
                Violation(
                    path,
                    "Base64 with a data: URI prefix ('File is not in a valid base64 format')",
                    "strip everything up to and including the comma",
                    rule="kling.request.1201.base64_prefix",
                )
            )
            continue
        if header == "not-base64":
            found.append(
                Violation(
                    path,
                    "neither a URL, a readable image file nor valid Base64",
                    "send a public URL or raw Base64 of a JPG/PNG",
                )
            )
            continue
        assert not isinstance(header, str)
        head, size = header
        info = image_info(head)
        if size > limits["max_bytes"]:
            found.append(
                Violation(path, f"{size / 1048576:.1f} MB, the limit is 10 MB", "compress it")
            )
        if info is None or info[0] not in limits["formats"]:
            kind = info[0] if info else "unrecognised data"
            found.append(Violation(path, f"{kind} is not JPG or PNG", "convert it to JPG or PNG"))
            continue
        _, width, height = info
        if width and height:
            side = limits["min_side"]
            if min(width, height) < side:
                found.append(
                    Violation(
                        path,
                        f"{width}x{height} px: a side is under {side} px",
                        f"upscale to at least {side} px per side",
                    )
                )
            if not limits["min_aspect"] <= width / height <= limits["max_aspect"]:
                found.append(
                    Violation(
                        path,
                        f"aspect ratio {width}:{height} is outside 1:2.5-2.5:1",
                        "crop or pad it",
                    )
                )
    return found


# ---- content ----------------------------------------------------------------------


def load_terms(paths: tuple[str | Path, ...] = ()) -> list[tuple[Any, str]]:
    """The watch list: built-in terms plus those of each file (JSON or YAML: {terms: [...]})."""
    entries = list(_data("content-watchlist.json")["terms"])
    for path in paths:
        text = Path(path).read_text(encoding="utf-8")
        if str(path).endswith((".yaml", ".yml")):
            import yaml

            extra = yaml.safe_load(text) or {}
        else:
            extra = json.loads(text)
        entries.extend(extra.get("terms", []) if isinstance(extra, dict) else [])
    compiled = []
    for entry in entries:
        pattern = entry.get("pattern") if isinstance(entry, dict) else entry
        note = str(entry.get("note", "")) if isinstance(entry, dict) else ""
        if isinstance(pattern, str) and regex_error(pattern) is None:
            compiled.append((compile_rule_regex(pattern), note))
    return compiled


def _content_warnings(payload: dict[str, Any], terms: list[tuple[Any, str]]) -> list[Violation]:
    found = []
    for key in ("prompt", "negative_prompt"):
        text = payload.get(key)
        if not isinstance(text, str):
            continue
        for pattern, note in terms:
            if pattern.search(text):
                found.append(
                    Violation(
                        f"$.{key}",
                        f"matches the content watch list ({note or pattern.pattern})",
                        "rephrase if Kling refuses it",
                        severity="warning",
                        service_code=1301,
                        rule="kling.policy.1301",
                    )
                )
                break
    return found


def check_request(
    payload: Any,
    endpoint: str = "text2video",
    *,
    terms: list[tuple[Any, str]] | None = None,
    base_dir: str | Path | None = None,
) -> list[Violation]:
    """Every problem with a text2video/image2video body, errors first."""
    if endpoint not in ENDPOINTS:
        raise ValueError(f"unknown endpoint {endpoint!r}; one of {', '.join(ENDPOINTS)}")
    if not isinstance(payload, dict):
        return [Violation("$", "the body is not a JSON object", "send a JSON object")]
    found = _schema_violations(payload, endpoint)
    found += _model_violations(payload, endpoint)
    found += _structure_violations(payload, endpoint)
    if endpoint == "image2video":
        found += _image_violations(payload, Path(base_dir) if base_dir else None)
    found += _content_warnings(payload, terms if terms is not None else load_terms())
    return sorted(found, key=lambda v: (v.severity != "error", v.path))
