"""`monolock audit` with real OSV records (tests/fixtures/osv): per app, only what the app
ships, with the path it comes by; ignore rules with reasons and expiry; OSV out of reach
is an error, never a clean answer."""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from monolock.supply import osv
from tests.conftest import RepoFactory, Run, project, write_toml

Cli = Callable[..., Run]
RECORDS = Path(__file__).parent / "fixtures" / "osv"


@pytest.fixture
def repo(make_repo: RepoFactory, cli: Cli) -> Path:
    """web ships pillow 10.0.0 (through core); worker ships neither pillow nor pyyaml."""
    root = make_repo(
        {
            "core": project("core", ["pillow", "pyyaml"]),
            "web": project("web", ["core"], sources={"core": {"workspace": True}}),
            "worker": project("worker", ["alpha"]),
        },
        apps=["web", "worker"],
    )
    assert cli("-C", root, "lock").code == 0
    return root


def _ignore(root: Path, *rules: dict[str, object]) -> None:
    import tomllib

    data = tomllib.loads((root / "pyproject.toml").read_text())
    data["tool"]["monolock"]["audit"] = {"ignore": list(rules)}
    write_toml(root / "pyproject.toml", data)


def test_the_app_that_ships_the_vulnerable_version_is_named_with_its_path(
    repo: Path, cli: Cli
) -> None:
    result = cli("-C", repo, "audit", "--db", RECORDS, "--format", "json")
    assert result.code == 1, result.err
    found = json.loads(result.out)["vulnerabilities"]
    # PYSEC-2023-227 is fixed in 10.0.0 itself, PYSEC-2021-142 before pyyaml 5.4
    assert [(h["app"], h["name"], h["version"], h["id"]) for h in found] == [
        ("web", "pillow", "10.0.0", "PYSEC-2023-175")
    ]
    assert found[0]["fixed"] == ["10.0.1"]
    assert found[0]["path"] == ["web", "core", "pillow"]
    text = cli("-C", repo, "audit", "--db", RECORDS)
    assert "worker: no known vulnerability" in text.out
    assert "via web -> core -> pillow" in text.out
    assert cli("-C", repo, "audit", "worker", "--db", RECORDS).code == 0


def test_an_archive_of_records_reads_as_the_directory(repo: Path, cli: Cli, tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for record in RECORDS.glob("*.json"):
            out.write(record, record.name)
    by_dir = json.loads(cli("-C", repo, "audit", "--db", RECORDS, "--format", "json").out)
    by_zip = json.loads(cli("-C", repo, "audit", "--db", archive, "--format", "json").out)
    assert by_zip["vulnerabilities"] == by_dir["vulnerabilities"]


def test_an_ignored_advisory_clears_until_its_rule_expires(repo: Path, cli: Cli) -> None:
    _ignore(repo, {"id": "PYSEC-2023-175", "reason": "no WebP input", "expires": "2999-01-01"})
    quiet = cli("-C", repo, "audit", "--db", RECORDS)
    assert quiet.code == 0 and "[ignored: no WebP input]" in quiet.out
    _ignore(repo, {"id": "PYSEC-2023-175", "reason": "no WebP input", "expires": "2020-01-01"})
    loud = cli("-C", repo, "audit", "--db", RECORDS)
    assert loud.code == 1 and "expired ignore: PYSEC-2023-175" in loud.out


@pytest.mark.parametrize(
    ("rule", "said"),
    [
        (
            {"id": "PYSEC-2023-175"},
            "tool.monolock.audit.ignore[0]: an ignored advisory needs a reason",
        ),
        ({"id": "X", "reason": "r", "expires": "soon"}, "ignore[0].expires: expected a date"),
        ({"reason": "r"}, "tool.monolock.audit.ignore[0]: expected"),
    ],
)
def test_a_bad_ignore_rule_is_an_error_naming_its_key(
    repo: Path, cli: Cli, rule: dict[str, object], said: str
) -> None:
    _ignore(repo, rule)
    result = cli("-C", repo, "audit", "--db", RECORDS)
    assert result.code == 2 and said in result.err and "pyproject.toml" in result.err


def test_sarif_output_is_valid_sarif(repo: Path, cli: Cli) -> None:
    from sarif_pydantic import Sarif

    result = cli("-C", repo, "audit", "--db", RECORDS, "--format", "sarif")
    assert result.code == 1
    data = json.loads(result.out)
    assert Sarif.model_validate(data).version == "2.1.0"
    assert [r["ruleId"] for r in data["runs"][0]["results"]] == ["PYSEC-2023-175"]


def test_osv_out_of_reach_is_an_error_not_a_clean_answer(
    repo: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONOLOCK_OSV_API", "http://127.0.0.1:9/v1")  # nothing listens there
    result = cli("-C", repo, "audit")
    assert result.code == 2 and "OSV could not be reached" in result.err


def test_bad_databases_are_refused(repo: Path, cli: Cli, tmp_path: Path) -> None:
    not_zip = tmp_path / "records.txt"
    not_zip.write_text("nothing")
    assert "neither a directory nor a zip" in cli("-C", repo, "audit", "--db", not_zip).err
    broken = tmp_path / "broken"
    shutil.copytree(RECORDS, broken)
    (broken / "bad.json").write_text("{")
    result = cli("-C", repo, "audit", "--db", broken)
    assert result.code == 2 and "bad.json" in result.err


@pytest.mark.parametrize(
    ("version", "events", "hit"),
    [
        ("1.0", [("introduced", "0"), ("fixed", "2.0")], True),
        ("2.0", [("introduced", "0"), ("fixed", "2.0")], False),
        ("2.5", [("introduced", "0"), ("fixed", "2.0"), ("introduced", "2.4")], True),
        ("3.0", [("introduced", "1.0"), ("last_affected", "3.0")], True),
        ("3.0.1", [("introduced", "1.0"), ("last_affected", "3.0")], False),
        ("0.9", [("introduced", "1.0")], False),
        ("2.0rc1", [("introduced", "0"), ("fixed", "2.0")], True),
    ],
)
def test_ecosystem_ranges_are_read_as_the_schema_says(
    version: str, events: list[tuple[str, str]], hit: bool
) -> None:
    affected = osv.Affected(frozenset(), (tuple(events),))
    assert affected.hits(version) is hit


@pytest.mark.network
def test_the_online_api_answers_for_a_known_advisory() -> None:
    try:
        found = osv.online([("pillow", "10.0.0")], timeout=10)
    except Exception as exc:  # no route to OSV from here: nothing to learn
        pytest.skip(f"OSV's API is out of reach: {exc}")
    assert any(a.id == "PYSEC-2023-175" or "GHSA" in a.id for a in found["pillow"])


def test_fix_says_which_upgrade_clears_a_finding_and_what_it_redeploys(
    make_repo: RepoFactory, cli: Cli
) -> None:
    """worker ships pyyaml 5.3.1 (PYSEC-2021-142, fixed in 5.4); its range admits 6.0.1.
    web ships pillow 10.0.0 (PYSEC-2023-175), and nothing newer exists to move to."""
    root = make_repo(
        {
            "web": project("web", ["pillow"]),
            "worker": project("worker", ["pyyaml==5.3.1"]),
        },
        apps=["web", "worker"],
    )
    assert cli("-C", root, "lock").code == 0
    write_toml(root / "worker/pyproject.toml", project("worker", ["pyyaml>=5"]))
    assert cli("-C", root, "lock").code == 0  # still 5.3.1, as locked
    before = (root / "uv.lock").read_bytes()
    result = cli("-C", root, "audit", "--db", RECORDS, "--fix", "--format", "json")
    assert result.code == 1, result.err
    fixes = {f["name"]: f for f in json.loads(result.out)["fixes"]}
    assert fixes["pyyaml"]["to"] == ["6.0.1"]
    assert fixes["pyyaml"]["clears"] == ["PYSEC-2021-142"]
    assert fixes["pyyaml"]["redeploy"] == ["worker"]
    assert fixes["pillow"]["to"] == [] and fixes["pillow"]["remains"] == ["PYSEC-2023-175"]
    assert (root / "uv.lock").read_bytes() == before  # a proposal: nothing written
    text = cli("-C", root, "audit", "--db", RECORDS, "--fix").out
    assert (
        "fix: upgrade pyyaml 5.3.1 -> 6.0.1 (`monolock upgrade pyyaml`), redeploying worker" in text
    )


def test_dev_adds_what_the_members_dev_groups_install(make_repo: RepoFactory, cli: Cli) -> None:
    root = make_repo({"web": project("web", ["alpha"], groups={"dev": ["pillow"]})}, apps=["web"])
    assert cli("-C", root, "lock").code == 0
    assert cli("-C", root, "audit", "--db", RECORDS).code == 0  # pillow never ships
    result = cli("-C", root, "audit", "--db", RECORDS, "--dev", "--format", "json")
    assert result.code == 1
    found = json.loads(result.out)["vulnerabilities"]
    assert [(h["name"], h["id"]) for h in found] == [("pillow", "PYSEC-2023-175")]
