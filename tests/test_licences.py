"""`monolock licenses`: every distribution an app installs with the licence its wheel's
METADATA gives, in each of the three ways a wheel says it; and the SBOM carries them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import RepoFactory, Run, project

Cli = Callable[..., Run]


@pytest.fixture
def repo(make_repo: RepoFactory, cli: Cli) -> Path:
    root = make_repo(
        {
            "core": project("core", ["alpha>=2", "pillow", "pyyaml"]),
            "web": project("web", ["core"], sources={"core": {"workspace": True}}),
            "worker": project("worker", ["zeta"]),
        },
        apps=["web", "worker"],
    )
    assert cli("-C", root, "lock").code == 0
    return root


def test_every_distribution_with_its_licence_as_the_wheel_says_it(repo: Path, cli: Cli) -> None:
    result = cli("-C", repo, "licenses", "--format", "json")
    assert result.code == 0, result.err
    web = {x["name"]: (x["license"], x["source"], x["spdx"]) for x in json.loads(result.out)["web"]}
    assert web["alpha"] == ("MIT OR Apache-2.0", "License-Expression", True)
    assert web["pyyaml"] == ("MIT", "License", False)
    assert web["pillow"] == (
        "Historical Permission Notice and Disclaimer (HPND)",
        "classifier",
        False,
    )
    assert web["beta"] == ("unknown", "METADATA names none", False)
    worker = json.loads(result.out)["worker"]
    assert [x["name"] for x in worker] == ["zeta"]  # only what the worker installs
    text = cli("-C", repo, "licenses", "worker")
    assert text.out.splitlines() == ["worker:", "  zeta 1.0.0  unknown  (METADATA names none)"]


def test_the_sbom_carries_each_licence(repo: Path, cli: Cli) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    result = cli("-C", repo, "sbom", "web")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(result.out) is None
    by_name = {c["name"]: c for c in json.loads(result.out)["components"]}
    assert by_name["alpha"]["licenses"] == [{"expression": "MIT OR Apache-2.0"}]
    assert by_name["pyyaml"]["licenses"] == [{"license": {"name": "MIT"}}]
    assert "licenses" not in by_name["beta"]  # nothing says: nothing claimed
