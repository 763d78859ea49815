"""The wheel carries the rules and schemas: installed elsewhere, it still finds them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(REPO)],
        check=True,
    )
    (built,) = out.glob("kling_errors-*.whl")
    return built


def test_wheel_contains_rules_schemas_and_type_marker(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    rule_files = {p.name for p in (REPO / "rules").glob("*.yaml")}
    assert {f"kling_errors/_data/rules/{n}" for n in rule_files} <= names
    assert "kling_errors/_data/schemas/rules.schema.json" in names
    assert "kling_errors/_data/schemas/diagnosis.schema.json" in names
    assert "kling_errors/py.typed" in names


def test_unpacked_wheel_classifies_from_another_directory(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = (
        "import json, kling_errors\n"
        "from kling_errors._paths import builtin_rules_dir\n"
        "d = kling_errors.classify({'status': 429, 'body': {'code': 1102}})\n"
        "print(json.dumps([kling_errors.__file__, str(builtin_rules_dir()), d.rule]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    module, rules_dir, rule = json.loads(result.stdout)
    assert module.startswith(str(site)) and rules_dir.startswith(str(site))
    assert rule == "kling.account.1102"


def test_wheel_metadata_has_license_classifiers_and_urls(wheel: Path) -> None:
    archive = zipfile.ZipFile(wheel)
    names = archive.namelist()
    (metadata_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
    metadata = archive.read(metadata_name).decode("utf-8")
    assert "License-Expression: MIT" in metadata and "License-File: LICENSE" in metadata
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "Classifier: Programming Language :: Python :: 3.11" in metadata
    assert "Classifier: Typing :: Typed" in metadata
    urls = [line for line in metadata.splitlines() if line.startswith("Project-URL: ")]
    assert any(line.startswith("Project-URL: Changelog, ") for line in urls)
    assert any(line.startswith("Project-URL: Homepage, ") for line in urls)
