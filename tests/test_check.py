"""`monolock check` on sample workspaces resolved from the fake wheelhouse: every rule has a
package that triggers it and one that must not."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RepoFactory, Run, aged, project


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _findings(cli: Callable[..., Run], root: Path, *args: str) -> tuple[int, list[dict[str, Any]]]:
    result = cli("-C", root, "check", "--format", "json", *args)
    assert result.code in (0, 1), result.err
    data = json.loads(result.out)
    return result.code, data["findings"]


def _codes(findings: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return sorted((f["code"], f["subject"]) for f in findings)


@pytest.fixture
def locked(make_repo: RepoFactory, cli: Callable[..., Run]) -> Callable[..., Path]:
    def make(members: dict[str, dict[str, Any]], files: dict[str, str], **kw: Any) -> Path:
        root = make_repo(members, **kw)
        _write(root, files)
        result = cli("-C", root, "lock")
        assert result.code == 0, result.err
        return root

    return make


def test_declared_imports_check_clean(locked: Callable[..., Path], cli: Callable[..., Run]) -> None:
    """Import names that differ from distribution names, a namespace package, typing-only
    and optional imports, the standard library and a declared member: nothing to report."""
    root = locked(
        {
            "libs/base": project("base", ["pyyaml", "pillow"]),
            "apps/web": project(
                "web",
                ["base", "acme-tools", "alpha"],
                sources={"base": {"workspace": True}},
            ),
        },
        {
            "libs/base/src/base/__init__.py": "import yaml\nfrom PIL import Image\n",
            "apps/web/src/web/__init__.py": (
                "from __future__ import annotations\n"
                "import json\n"
                "from typing import TYPE_CHECKING\n"
                "from acme.tools import thing\n"
                "from acme import tools\n"
                "import alpha\n"
                "from base import helper\n"
                "from . import views\n"
                "if TYPE_CHECKING:\n"
                "    import delta\n"
                "try:\n"
                "    import ujson\n"
                "except ImportError:\n"
                "    ujson = None\n"
            ),
            "apps/web/src/web/views.py": "from .. import web\n",
        },
    )
    code, findings = _findings(cli, root)
    assert findings == [] and code == 0


def test_undeclared_imports_name_file_line_and_how_present(
    locked: Callable[..., Path], cli: Callable[..., Run]
) -> None:
    root = locked(
        {"web": project("web", ["alpha"])},
        {
            "web/src/web/__init__.py": "import alpha\n",
            "web/src/web/api.py": (
                "import os\n\n\ndef f():\n    import beta\n    import nosuch.mod\n"
            ),
            "web/src/web/more.py": "import beta.sub\n",
        },
    )
    code, findings = _findings(cli, root)
    assert code == 1
    assert _codes(findings) == [("ML101", "beta"), ("ML102", "nosuch")]
    beta = next(f for f in findings if f["code"] == "ML101")
    assert (beta["path"], beta["line"]) == ("web/src/web/api.py", 5)
    assert "transitively (web -> alpha -> beta)" in beta["message"]
    assert beta["also"] == [{"path": "web/src/web/more.py", "line": 1}]  # one finding per fix
    absent = next(f for f in findings if f["code"] == "ML102")
    assert (absent["path"], absent["line"]) == ("web/src/web/api.py", 6)


def test_unused_dependency_points_at_its_manifest_line(
    locked: Callable[..., Path], cli: Callable[..., Run]
) -> None:
    root = locked(
        {"web": project("web", ["alpha", "gamma", "zeta"])},
        {"web/src/web/__init__.py": "import alpha\n"},
        apps={"web": {"command": "zeta serve web"}},  # run by name: used
    )
    _, findings = _findings(cli, root)
    assert _codes(findings) == [("ML103", "gamma")]
    text = (root / "web/pyproject.toml").read_text().splitlines()
    assert '"gamma"' in text[findings[0]["line"] - 1]


def test_dev_group_dependency_used_by_shipped_code_is_misplaced(
    locked: Callable[..., Path], cli: Callable[..., Run]
) -> None:
    root = locked(
        {"web": project("web", [], groups={"dev": ["devtool"]})},
        {
            "web/src/web/__init__.py": "import devtool\n",
            "web/tests/test_web.py": "import devtool\nimport web\n",
        },
    )
    _, findings = _findings(cli, root)
    assert _codes(findings) == [("ML104", "devtool")]
    assert findings[0]["path"] == "web/src/web/__init__.py"


def test_internal_edges_must_be_declared_and_public(
    locked: Callable[..., Path], cli: Callable[..., Run]
) -> None:
    core = project("core", [])
    core["tool"] = {"monolock": {"check": {"private": ["core.internal"]}}}
    root = locked(
        {
            "core": core,
            "util": project("util", []),
            "web": project("web", ["core"], sources={"core": {"workspace": True}}),
        },
        {
            "core/src/core/__init__.py": "",
            "core/src/core/_secret.py": "",
            "core/src/core/internal.py": "",
            "util/src/util/__init__.py": "",
            "web/src/web/__init__.py": (
                "import core\nfrom core import _secret\nimport core.internal\nimport util\n"
            ),
        },
    )
    _, findings = _findings(cli, root)
    assert _codes(findings) == [
        ("ML105", "util"),
        ("ML106", "core._secret"),
        ("ML106", "core.internal"),
    ]
    assert [f["line"] for f in findings] == [4, 2, 3]


def test_dev_code_needs_a_declaration_somewhere(
    locked: Callable[..., Path], cli: Callable[..., Run]
) -> None:
    root = locked(
        {"web": project("web", [])},
        {
            "web/src/web/__init__.py": "",
            "web/tests/helpers.py": "",
            "web/tests/test_web.py": "import helpers\nimport devtool\nimport gamma\nimport web\n",
        },
        root={"dependency-groups": {"dev": ["devtool"]}},  # the root's dev tools count
    )
    _, findings = _findings(cli, root)
    assert _codes(findings) == [("ML107", "gamma")]
    assert (findings[0]["path"], findings[0]["line"]) == ("web/tests/test_web.py", 3)


def test_ignores_inline_and_in_config(locked: Callable[..., Path], cli: Callable[..., Run]) -> None:
    web = project("web", ["alpha", "gamma"])
    web["tool"] = {"monolock": {"check": {"ignore": ["ML103:gamma"]}}}
    source = "import alpha\nimport beta  # monolock: ignore[ML101]\nimport nosuch\n"
    root = locked(
        {"web": web},
        {"web/src/web/__init__.py": source + "\n\ndef f():\n    import beta\n"},
        root={"tool": {"monolock": {"check": {"ignore": ["ML102"]}}}},
    )
    result = cli("-C", root, "check", "--format", "json")
    data = json.loads(result.out)
    assert result.code == 1
    # line 2 is switched off inline; the same import on line 7 is not
    assert [(f["code"], f["line"]) for f in data["findings"]] == [("ML101", 7)]
    assert data["ignored"] == 2  # ML103:gamma in the member, ML102 in the root


def test_policy_rules(locked: Callable[..., Path], cli: Callable[..., Run]) -> None:
    low = project("low", [], groups={"dev": ["devtool>=2"]})
    low["project"]["requires-python"] = ">=3.10"
    root = locked(
        {
            "core": project(
                "core",
                ["low"],
                groups={"dev": ["devtool>=1"]},
                sources={"low": {"workspace": True}},
            ),
            "low": low,
            "web": project("web", ["core"], sources={"core": {"workspace": True}}),
        },
        {
            "core/src/core/__init__.py": "import low\n",
            "low/src/low/__init__.py": "",
            "web/src/web/__init__.py": "import core\n",
        },
    )
    # after locking, low (>=3.10) starts to depend on core (>=3.11), with no workspace source
    text = (root / "low/pyproject.toml").read_text()
    (root / "low/pyproject.toml").write_text(
        text.replace("dependencies = []", 'dependencies = ["core"]')
    )
    (root / "low/src/low/__init__.py").write_text("import core\n")
    _, findings = _findings(cli, root)
    codes = _codes(findings)
    assert ("ML202", "core") in codes  # low allows 3.10, core does not
    assert ("ML203", "devtool") in codes
    assert ("ML204", "core") in codes  # low -> core without { workspace = true }
    assert ("ML205", "core -> low -> core") in codes
    python = next(f for f in findings if f["code"] == "ML202")
    assert python["package"] == "low" and "'>=3.11'" in python["hint"]


def test_stale_lock_is_reported_until_relocked(
    locked: Callable[..., Path], cli: Callable[..., Run]
) -> None:
    root = locked({"web": project("web", ["alpha"])}, {"web/src/web/__init__.py": "import alpha\n"})
    assert _findings(cli, root) == (0, [])
    manifest = root / "web/pyproject.toml"
    manifest.write_text(manifest.read_text().replace('"alpha"', '"alpha", "gamma"'))
    (root / "web/src/web/__init__.py").write_text("import alpha\nimport gamma\n")
    _, findings = _findings(cli, root)
    assert _codes(findings) == [("ML201", "uv.lock")]
    assert cli("-C", root, "lock").code == 0
    assert _findings(cli, root) == (0, [])


def test_output_formats_and_exit_codes(
    locked: Callable[..., Path], cli: Callable[..., Run]
) -> None:
    root = locked({"web": project("web", [])}, {"web/src/web/__init__.py": "import beta\n"})
    github = cli("-C", root, "check", "--format", "github")
    assert github.code == 1
    assert github.out.startswith(
        "::error file=web/src/web/__init__.py,line=1,title=ML102 unknown-import::"
    )
    text = cli("-C", root, "check")
    assert "web/src/web/__init__.py:1" in text.out and "ML102" in text.out
    assert cli("-C", root, "check", "--package", "nope").code == 2
    assert cli("-C", root, "check", "--package", "web").code == 1


def test_second_run_parses_only_what_changed(
    locked: Callable[..., Path], cli: Callable[..., Run]
) -> None:
    root = locked(
        {"web": project("web", ["alpha"])},
        {
            "web/src/web/__init__.py": "import alpha\n",
            "web/src/web/a.py": "",
            "web/src/web/b.py": "",
        },
    )

    def parsed() -> tuple[int, int]:
        data = json.loads(cli("-C", root, "check", "--format", "json").out)
        return data["parsed"], len(data["findings"])

    assert parsed() == (3, 0)
    assert parsed() == (0, 0)
    (root / "web/src/web/b.py").write_text("import beta\n")
    assert parsed() == (1, 1)


def test_bad_config_is_a_usage_error(locked: Callable[..., Path], cli: Callable[..., Run]) -> None:
    root = locked({"web": project("web", [])}, {"web/src/web/__init__.py": ""})
    with (root / "web/pyproject.toml").open("a") as manifest:
        manifest.write('\n[tool.monolock.check]\nignore = ["unused"]\n')
    result = cli("-C", root, "check")
    assert result.code == 2
    assert "web/pyproject.toml" in result.err and "tool.monolock.check.ignore" in result.err


def test_optional_imports_and_members_in_extras_are_treated_like_distributions(
    locked: Callable[..., Path], cli: Callable[..., Run]
) -> None:
    """`with suppress(ImportError):` and a function defined inside `try/except ImportError`
    are optional imports; a member declared in an extra is what a distribution declared in
    an extra is: fine behind a call, ML104 at import time, ML105 only when undeclared."""
    ws = {"workspace": True}
    root = locked(
        {
            "plugins": project("plugins", []),
            "extras": project("extras", []),
            "web": project(
                "web",
                [],
                optional={"plugins": ["plugins", "alpha"], "more": ["extras"]},
                sources={"plugins": ws, "extras": ws},
            ),
        },
        {
            "plugins/src/plugins/__init__.py": "",
            "extras/src/extras/__init__.py": "",
            "web/src/web/__init__.py": (
                "import contextlib\nfrom contextlib import suppress\n"
                "with contextlib.suppress(ImportError):\n    import gamma\n"
                "with suppress(ModuleNotFoundError, AttributeError):\n    import delta\n"
                "try:\n    def load():\n        import beta\n        return beta\n"
                "except ImportError:\n    pass\n"
                "import extras\n"
            ),
            "web/src/web/hooks.py": (
                "def load():\n    import plugins\n    import alpha\n    return plugins, alpha\n"
                "with open(__file__):\n    import pillow_missing\n"
            ),
        },
    )
    _, findings = _findings(cli, root)
    assert _codes(findings) == [("ML102", "pillow_missing"), ("ML104", "extras")]
    ml104 = next(f for f in findings if f["code"] == "ML104")
    assert "member 'extras', declared only as extra:more" in ml104["message"]
    assert "as soon as it is imported" in ml104["message"]


def test_github_and_sarif_paths_are_relative_to_the_git_repository(
    locked: Callable[..., Path], cli: Callable[..., Run], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A workspace in a subdirectory of its repository: annotations and code-scanning
    results name files as the code host sees them."""
    from sarif_pydantic import Sarif

    made = locked(
        {"web": project("web", ["alpha"])},
        {
            "web/src/web/__init__.py": "import beta\nimport gamma\n",
            "web/src/web/b.py": "import beta\n",
        },
    )
    repo = tmp_path_factory.mktemp("repo")
    root = repo / "platform"
    shutil.copytree(made, root)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)

    github = cli("-C", root, "check", "--format", "github")
    assert github.code == 1
    assert "::error file=platform/web/src/web/__init__.py,line=1,title=ML101" in github.out
    assert "file=platform/web/pyproject.toml" in github.out  # ML103 alpha, on its manifest

    result = cli("-C", root, "check", "--format", "sarif")
    assert result.code == 1, result.err
    data = json.loads(result.out)
    log = Sarif.model_validate(data)
    assert log.version == "2.1.0"
    run = data["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert set(by_rule) == {"ML101", "ML103"}  # beta and gamma (both in the lock), alpha
    beta = next(r for r in run["results"] if "'beta'" in r["message"]["text"])
    assert rules[beta["ruleIndex"]] == "ML101"
    place = beta["locations"][0]["physicalLocation"]
    assert place["artifactLocation"]["uri"] == "platform/web/src/web/__init__.py"
    assert place["region"] == {"startLine": 1}
    assert [r["physicalLocation"]["artifactLocation"]["uri"] for r in beta["relatedLocations"]] == [
        "platform/web/src/web/b.py"
    ]
    fingerprints = {r["partialFingerprints"]["monolock/v1"] for r in run["results"]}
    assert len(fingerprints) == len(run["results"]), "each alert tracked on its own"


def test_an_undeclared_import_says_how_it_is_there(
    locked: Callable[..., Path], cli: Callable[..., Run]
) -> None:
    """Through a dependency, through a dev group only, or only for other members."""
    root = locked(
        {
            "web": project("web", [], groups={"dev": ["alpha"]}),
            "api": project("api", ["pyyaml"]),
            "other": project("other", ["pillow"]),
        },
        {
            "web/src/web/__init__.py": "import beta\n",
            "api/src/api/__init__.py": "import yaml\nimport PIL\n",
            "other/src/other/__init__.py": "import PIL\n",
        },
    )
    _, findings = _findings(cli, root)
    messages = {(f["package"], f["subject"]): f["message"] for f in findings}
    assert "installed only with its dev groups (web -> alpha -> beta)" in messages[("web", "beta")]
    assert "in the lock for other members only" in messages[("api", "pillow")]


def test_apps_run_from_source_own_their_modules_and_their_tests_are_dev_code(
    locked: Callable[..., Path], cli: Callable[..., Run]
) -> None:
    """Two example apps uv never builds, each with its own `ui_view.py` beside a test:
    each imports its own module, and `test_agent.py` is a test, not shipped code."""
    app: dict[str, Any] = {"tool": {"uv": {"package": False}}}
    root = locked(
        {
            "apps/a": project("app-a", ["pyyaml"], **app),
            "apps/b": project("app-b", [], **app),
        },
        {
            "apps/a/agent.py": "import ui_view\nimport yaml\n",
            "apps/a/ui_view.py": "X = 1\n",
            "apps/a/test_agent.py": "import agent\nimport devtool\n",
            "apps/b/agent.py": "import ui_view\n",
            "apps/b/ui_view.py": "X = 2\n",
        },
    )
    for member in ("a", "b"):  # flat: the modules beside the manifest are the app
        shutil.rmtree(root / f"apps/{member}/src")
    listed = json.loads(cli("-C", root, "list", "--format", "json").out)
    names = {m["name"]: m["imports"] for m in listed["members"]}
    assert names["app-a"] == ["agent", "ui_view"]  # not test_agent
    _, findings = _findings(cli, root)
    assert _codes(findings) == [("ML107", "devtool")]
    assert findings[0]["path"] == "apps/a/test_agent.py"


def test_a_metapackage_declares_what_it_stands_for(
    locked: Callable[..., Path], cli: Callable[..., Run]
) -> None:
    """`meta` ships no module and depends on `slim`, which ships `slim`: a member that
    declares meta may import slim (pydantic-ai over pydantic-ai-slim); one that declares
    neither may not."""
    ws = {"workspace": True}
    root = locked(
        {
            "slim": project("slim", []),
            "meta": project("meta", ["slim"], sources={"slim": ws}),
            "cli": project("cli", ["meta"], sources={"meta": ws}),
            "other": project("other", []),
        },
        {
            "cli/src/cli/__init__.py": "import slim\n",
            "other/src/other/__init__.py": "import slim\n",
        },
    )
    shutil.rmtree(root / "meta/src")  # meta ships nothing of its own
    _, findings = _findings(cli, root)
    assert _codes(findings) == [("ML105", "slim")]
    assert findings[0]["package"] == "other"


def test_dev_code_finds_its_own_helpers_metapackages_and_namespace_roots(
    locked: Callable[..., Path], cli: Callable[..., Run]
) -> None:
    """A member's own `tests` package wins over a distribution that ships one too; a
    metapackage declared in a dev group covers dev code as it covers shipped code; the
    root of a member's namespace package (`import nsx`) is that member's."""
    ws = {"workspace": True}
    hatch = {"build": {"targets": {"wheel": {"packages": ["nsx"]}}}}
    root = locked(
        {
            "slim": project("slim", []),
            "meta": project("meta", ["slim"], sources={"slim": ws}),
            "ns": project("ns", [], tool={"hatch": hatch}),
            "app": project(
                "app",
                ["ns", "alpha"],
                groups={"dev": ["meta"]},
                sources={"meta": ws, "ns": ws},
            ),
        },
        {
            "ns/nsx/mod.py": "",
            "app/src/app/__init__.py": "import nsx\nimport nsx.mod\nimport alpha\n",
            "app/tests/__init__.py": "",
            "app/tests/helpers.py": "",
            "app/tests/test_app.py": "from tests.helpers import *\nimport slim\nimport app\n",
        },
        root={"tool": {"monolock": {"import-names": {"alpha": ["alpha", "tests"]}}}},
    )
    shutil.rmtree(root / "meta/src")  # meta ships nothing of its own
    result = cli("-C", root, "check", "--format", "json")
    findings = json.loads(result.out)["findings"]
    assert [f for f in findings if f["code"] != "ML201"] == [], findings


def test_one_edit_reruns_one_members_rules_and_nothing_stale_is_replayed(
    locked: Callable[..., Path], cli: Callable[..., Run]
) -> None:
    """Findings are remembered per member: an edit to web re-runs web's rules; a module
    another member starts to ship (its layout, not web's files) changes web's answer."""
    ws = {"workspace": True}
    hatch = {"build": {"targets": {"wheel": {"packages": ["nsx"]}}}}
    root = locked(
        {
            "ns": project("ns", [], tool={"hatch": hatch}),
            "web": project("web", ["ns", "alpha"], sources={"ns": ws}),
            "api": project("api", []),
        },
        {
            "ns/nsx/a.py": "",
            "web/src/web/__init__.py": "import nsx.a\nimport nsx.b\nimport alpha\n",
            "api/src/api/__init__.py": "import alpha\n",
        },
    )

    def codes() -> list[tuple[str, str]]:
        return _codes(_findings(cli, root, "--no-lock-check")[1])

    assert codes() == [("ML101", "alpha"), ("ML102", "nsx.b")]
    web = root / "web/src/web/__init__.py"
    web.write_text(web.read_text() + "import zeta_missing\n")
    assert codes() == [("ML101", "alpha"), ("ML102", "nsx.b"), ("ML102", "zeta_missing")]
    (root / "ns/nsx/b.py").write_text("")  # ns now ships nsx.b: web's answer changes
    assert codes() == [("ML101", "alpha"), ("ML102", "zeta_missing")]
    manifest = root / "api/pyproject.toml"
    manifest.write_text(
        manifest.read_text().replace("dependencies = []", 'dependencies = ["alpha"]')
    )
    assert codes() == [("ML102", "zeta_missing")]


def test_a_settled_tree_is_listed_from_the_cache_and_every_new_file_is_seen(
    locked: Callable[..., Path], cli: Callable[..., Run]
) -> None:
    """Once a tree has settled, a member's files come from the last listing while its
    directories' mtimes hold: a module or a test added anywhere moves one of them."""
    root = locked({"web": project("web", [])}, {"web/src/web/__init__.py": ""})

    def subjects() -> list[str]:
        return [s for _, s in _codes(_findings(cli, root, "--no-lock-check")[1])]

    aged(root)
    assert subjects() == []
    (root / "web/src/web/extra.py").write_text("import zeta_missing\n")
    assert subjects() == ["zeta_missing"]
    aged(root)
    assert subjects() == ["zeta_missing"]  # listed from the cache
    (root / "web/tests").mkdir()
    (root / "web/tests/test_web.py").write_text("import yeti_missing\n")
    assert sorted(subjects()) == ["yeti_missing", "zeta_missing"]


def test_an_edit_within_the_same_clock_tick_is_seen(
    locked: Callable[..., Path], cli: Callable[..., Run]
) -> None:
    """A file written just now may change again with the same size and mtime: neither
    the quick report nor the scan of it is trusted until it has settled."""
    root = locked({"web": project("web", [])}, {"web/src/web/__init__.py": "import aaaa\n"})
    assert _codes(_findings(cli, root, "--no-lock-check")[1]) == [("ML102", "aaaa")]
    module = root / "web/src/web/__init__.py"
    before = module.stat()
    module.write_text("import zzzz\n")  # same size
    os.utime(module, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert _codes(_findings(cli, root, "--no-lock-check")[1]) == [("ML102", "zzzz")]


def test_a_distribution_with_only_a_version_module_is_a_metapackage(
    locked: Callable[..., Path], cli: Callable[..., Run]
) -> None:
    """opentelemetry-exporter-otlp ships `opentelemetry.exporter.otlp.version` and pulls
    in the exporters: declaring it is not an unused dependency."""
    root = locked(
        {"web": project("web", ["alpha"])},
        {"web/src/web/__init__.py": "import beta\n"},
        root={"tool": {"monolock": {"import-names": {"alpha": ["acme.alpha.version"]}}}},
    )
    _, findings = _findings(cli, root)
    assert _codes(findings) == [], findings  # beta is what alpha stands for


def test_damaged_remembered_findings_are_computed_again(
    locked: Callable[..., Path], cli: Callable[..., Run]
) -> None:
    """Per-member findings and policy findings are kept behind a checksum: one flipped
    byte, and they are computed again, never replayed wrong."""
    root = locked(
        {"web": project("web", ["alpha"]), "api": project("api", [])},
        {"web/src/web/__init__.py": "import beta\n", "api/src/api/__init__.py": "import alpha\n"},
    )
    first = _findings(cli, root, "--no-lock-check")[1]
    assert first
    from monolock.check import _cache_dir

    cache = _cache_dir(root.resolve())  # this repository's own entries only
    memos = [cache / "members.marshal", cache / "policy.marshal"]
    assert all(m.is_file() for m in memos)
    for memo in memos:
        data = bytearray(memo.read_bytes())
        data[-3] ^= 0xFF  # one flipped byte inside the findings
        memo.write_bytes(bytes(data))
    for report in cache.rglob("report.marshal"):
        report.unlink()  # so that the findings themselves are read back
    assert _findings(cli, root, "--no-lock-check")[1] == first
