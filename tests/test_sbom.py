"""`monolock sbom APP`: a CycloneDX 1.6 document, validated by the CycloneDX project's own
validator, holding exactly the app's projection and its internal packages."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from tests.conftest import RepoFactory, Run, project, uv_export

Cli = Callable[..., Run]


@pytest.fixture
def repo(make_repo: RepoFactory, cli: Cli) -> Path:
    root = make_repo(
        {
            "core": project("core", ["pillow", "alpha"]),
            "web": project("web", ["core"], sources={"core": {"workspace": True}}),
            "worker": project("worker", ["pyyaml"]),
        },
        apps=["web", "worker"],
    )
    assert cli("-C", root, "lock").code == 0
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "one"],
        cwd=root,
        check=True,
    )
    return root


def _sbom(cli: Cli, root: Path, app: str) -> Any:
    result = cli("-C", root, "sbom", app)
    assert result.code == 0, result.err
    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(result.out)
    assert errors is None, errors
    return json.loads(result.out)


def test_each_app_gets_exactly_its_projection_and_its_internal_packages(
    repo: Path, cli: Cli
) -> None:
    for app in ("web", "worker"):
        data = _sbom(cli, repo, app)
        components = data["components"]
        third = {(c["name"], c["version"]) for c in components if c["name"] != "core"}
        assert third == set(uv_export(repo, app).items())
        assert data["metadata"]["component"]["name"] == app
    web = _sbom(cli, repo, "web")
    names = {c["name"] for c in web["components"]}
    assert "core" in names and "pyyaml" not in names


def test_components_carry_purls_hashes_the_commit_and_their_edges(repo: Path, cli: Cli) -> None:
    import tomllib

    data = _sbom(cli, repo, "web")
    by_name = {c["name"]: c for c in data["components"]}
    assert by_name["pillow"]["purl"] == "pkg:pypi/pillow@10.0.0"
    locked = tomllib.loads((repo / "uv.lock").read_text())
    pillow = next(p for p in locked["package"] if p["name"] == "pillow")
    wanted = {w["hash"].removeprefix("sha256:") for w in pillow["wheels"]}
    assert {h["content"] for h in by_name["pillow"]["hashes"]} == wanted
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True
    ).stdout.strip()
    assert {"name": "monolock:git-commit", "value": head} in by_name["core"]["properties"]
    edges = {d["ref"]: set(d.get("dependsOn", [])) for d in data["dependencies"]}
    assert edges["web==0.1.0"] == {"core==0.1.0"}
    assert {"pillow==10.0.0", "alpha==2.0.0"} <= edges["core==0.1.0"]


def test_o_writes_a_file_and_replaces_only_its_own(repo: Path, cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "web.cdx.json"
    assert cli("-C", repo, "sbom", "web", "-o", out).code == 0
    assert cli("-C", repo, "sbom", "web", "-o", out).code == 0  # its own: replaced
    mine = tmp_path / "notes.json"
    mine.write_text('{"mine": true}\n')
    refused = cli("-C", repo, "sbom", "web", "-o", mine)
    assert refused.code == 2 and mine.read_text() == '{"mine": true}\n'
    assert cli("-C", repo, "sbom", "nobody").code == 2


def test_the_same_commit_gives_the_same_sbom(repo: Path, cli: Cli) -> None:
    first, second = cli("-C", repo, "sbom", "web").out, cli("-C", repo, "sbom", "web").out
    assert first == second  # serial number and time derive from the lock, app and commit
    # (`build --out` ships it as sbom.cdx.json: tests/test_build.py, reproducible too)


def test_spdx_is_valid_spdx_with_the_same_packages_and_edges(
    repo: Path, cli: Cli, tmp_path: Path
) -> None:
    from spdx_tools.spdx.parser.json import json_parser
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    out = tmp_path / "web.spdx.json"
    result = cli("-C", repo, "sbom", "web", "--format", "spdx-json", "-o", out)
    assert result.code == 0, result.err
    document = json_parser.parse_from_file(str(out))
    assert validate_full_spdx_document(document) == []
    data = json.loads(out.read_text())
    names = {p["name"] for p in data["packages"]}
    assert names == {"web", "core"} | set(uv_export(repo, "web"))
    alpha = next(p for p in data["packages"] if p["name"] == "alpha")
    assert alpha["licenseDeclared"] == "MIT OR Apache-2.0"
    assert alpha["externalRefs"][0]["referenceLocator"] == "pkg:pypi/alpha@2.0.0"
    depends = {
        (r["spdxElementId"], r["relatedSpdxElement"])
        for r in data["relationships"]
        if r["relationshipType"] == "DEPENDS_ON"
    }
    assert ("SPDXRef-Package-web--0.1.0", "SPDXRef-Package-core--0.1.0") in depends
    again = cli("-C", repo, "sbom", "web", "--format", "spdx-json", "-o", out)
    assert again.code == 0  # its own file: replaced
