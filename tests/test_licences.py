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


def _policy(root: Path, **policy: list[str]) -> None:
    import tomllib

    from tests.conftest import write_toml

    data = tomllib.loads((root / "pyproject.toml").read_text())
    data["tool"]["monolock"]["check"] = {"licenses": policy}
    write_toml(root / "pyproject.toml", data)


def _ml207(cli: Cli, root: Path) -> set[str]:
    out = cli("-C", root, "check", "--no-lock-check", "--format", "json")
    assert out.code in (0, 1), out.err
    return {f["subject"] for f in json.loads(out.out)["findings"] if f["code"] == "ML207"}


def test_a_denied_licence_is_a_finding_unless_an_alternative_passes(repo: Path, cli: Cli) -> None:
    _policy(repo, deny=["Apache-2.0"])
    assert _ml207(cli, repo) == set()  # alpha is MIT OR Apache-2.0: MIT passes
    _policy(repo, deny=["Apache-2.0", "mit"])  # ids compare without case
    assert _ml207(cli, repo) == {"alpha"}


def test_an_allow_list_admits_only_what_is_shown_to_be_allowed(repo: Path, cli: Cli) -> None:
    _policy(repo, allow=["MIT", "Apache-2.0"])
    found = _ml207(cli, repo)
    assert "alpha" not in found
    # named, not SPDX expressions (a License field, a classifier), or named nowhere
    assert {"pyyaml", "pillow", "beta"} <= found


def test_a_bad_policy_key_is_an_error_naming_it(repo: Path, cli: Cli) -> None:
    _policy(repo, permit=["MIT"])
    result = cli("-C", repo, "check")
    assert result.code == 2 and "tool.monolock.check.licenses" in result.err
