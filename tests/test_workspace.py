from pathlib import Path
from typing import Any

import pytest

from monolock.errors import ManifestError, WorkspaceError
from monolock.model import Source
from monolock.root import find_root
from monolock.workspace import discover
from tests.conftest import RepoFactory, project, write_toml


def test_globs_exclude_and_directories_without_manifest(tmp_path: Path) -> None:
    write_toml(
        tmp_path / "pyproject.toml",
        {
            "tool": {
                "uv": {"workspace": {"members": ["libs/*", "apps/*"], "exclude": ["libs/legacy*"]}}
            }
        },
    )
    write_toml(tmp_path / "libs/a/pyproject.toml", project("a"))
    write_toml(tmp_path / "libs/legacy-b/pyproject.toml", project("legacy-b"))
    (tmp_path / "libs/notes").mkdir()
    write_toml(tmp_path / "apps/web/pyproject.toml", project("web", ["a"]))
    write_toml(tmp_path / "docs/example/pyproject.toml", project("not-a-member"))
    ws = discover(tmp_path)
    assert ws.kind == "uv"
    assert [p.name for p in ws.packages] == ["a", "web"]
    assert any("libs/notes" in w and "no pyproject.toml" in w for w in ws.warnings)


def test_virtual_root_is_not_a_member_but_a_project_root_is(tmp_path: Path) -> None:
    write_toml(tmp_path / "pyproject.toml", {"tool": {"uv": {"workspace": {"members": ["p/*"]}}}})
    write_toml(tmp_path / "p/a/pyproject.toml", project("a"))
    assert [p.path for p in discover(tmp_path).packages] == ["p/a"]
    write_toml(
        tmp_path / "pyproject.toml",
        {**project("root-app", ["a"]), "tool": {"uv": {"workspace": {"members": ["p/*"]}}}},
    )
    assert sorted(p.path for p in discover(tmp_path).packages) == [".", "p/a"]


def test_root_sources_are_inherited_by_members(tmp_path: Path) -> None:
    write_toml(
        tmp_path / "pyproject.toml",
        {
            "tool": {
                "uv": {"workspace": {"members": ["p/*"]}, "sources": {"a": {"workspace": True}}}
            }
        },
    )
    write_toml(tmp_path / "p/a/pyproject.toml", project("a"))
    write_toml(tmp_path / "p/b/pyproject.toml", project("b", ["a"]))
    b = discover(tmp_path).by_name["b"]
    assert b.dependencies[0].source == Source("workspace", editable=True)


def test_names_are_normalised_and_import_names_come_from_the_layout(tmp_path: Path) -> None:
    write_toml(tmp_path / "pyproject.toml", {"tool": {"uv": {"workspace": {"members": ["*"]}}}})
    write_toml(tmp_path / "thds_core/pyproject.toml", project("thds.core"))
    (tmp_path / "thds_core/src/thds/core").mkdir(parents=True)
    (tmp_path / "thds_core/src/thds/core/__init__.py").write_text("")
    write_toml(tmp_path / "pydantic_ai_slim/pyproject.toml", project("pydantic-ai-slim"))
    (tmp_path / "pydantic_ai_slim/pydantic_ai").mkdir(parents=True)
    (tmp_path / "pydantic_ai_slim/pydantic_ai/__init__.py").write_text("")
    (tmp_path / "pydantic_ai_slim/tests").mkdir()
    (tmp_path / "pydantic_ai_slim/tests/__init__.py").write_text("")
    ws = discover(tmp_path)
    assert ws.get("Thds_Core") is ws.by_name["thds-core"]
    assert ws.by_name["thds-core"].import_names == ("thds.core",)  # namespace package
    assert ws.by_name["pydantic-ai-slim"].import_names == ("pydantic_ai",)


def test_a_root_member_does_not_claim_the_members_below_it(tmp_path: Path) -> None:
    """pydantic-ai's shape: a root project with members in subdirectories of its own."""
    write_toml(
        tmp_path / "pyproject.toml",
        {**project("meta"), "tool": {"uv": {"workspace": {"members": ["clai"]}}}},
    )
    write_toml(tmp_path / "clai/pyproject.toml", project("clai"))
    (tmp_path / "clai/clai").mkdir(parents=True)
    (tmp_path / "clai/clai/__init__.py").write_text("")
    (tmp_path / "clai/clai/__main__.py").write_text("")
    (tmp_path / "clai/update_readme.py").write_text("")
    (tmp_path / "examples/demo").mkdir(parents=True)  # a namespace package: named below it
    (tmp_path / "examples/demo/chat.py").write_text("")
    (tmp_path / "examples/demo/__main__.py").write_text("")
    ws = discover(tmp_path)
    assert ws.by_name["meta"].import_names == ()
    assert ws.by_name["clai"].import_names == ("clai",)
    write_toml(
        tmp_path / "pyproject.toml",
        {
            **project("meta"),
            "tool": {
                "uv": {"workspace": {"members": ["clai"]}},
                "hatch": {"build": {"targets": {"wheel": {"packages": ["examples/demo"]}}}},
            },
        },
    )
    assert discover(tmp_path).by_name["meta"].import_names == ("demo.chat",)


def test_missing_explicit_member_is_an_error(tmp_path: Path) -> None:
    write_toml(tmp_path / "pyproject.toml", {"tool": {"uv": {"workspace": {"members": ["nope"]}}}})
    with pytest.raises(WorkspaceError, match="member 'nope' does not exist"):
        discover(tmp_path)


def test_duplicate_names_are_an_error(tmp_path: Path) -> None:
    write_toml(tmp_path / "pyproject.toml", {"tool": {"uv": {"workspace": {"members": ["*"]}}}})
    write_toml(tmp_path / "a/pyproject.toml", project("Same.Name"))
    write_toml(tmp_path / "b/pyproject.toml", project("same_name"))
    with pytest.raises(WorkspaceError, match="two members are named 'same-name'"):
        discover(tmp_path)


def test_malformed_member_manifest_names_the_file(tmp_path: Path) -> None:
    write_toml(tmp_path / "pyproject.toml", {"tool": {"uv": {"workspace": {"members": ["*"]}}}})
    (tmp_path / "a").mkdir()
    (tmp_path / "a/pyproject.toml").write_text("[project\n")
    with pytest.raises(ManifestError) as info:
        discover(tmp_path)
    assert str(info.value.where).startswith("a/pyproject.toml:1:")


def poetry(name: str, **deps: object) -> dict[str, object]:
    return {
        "tool": {
            "poetry": {
                "name": name,
                "version": "0.1.0",
                "dependencies": {"python": "^3.11", **deps},
            }
        }
    }


def test_poetry_style_repository_is_found_by_walking(tmp_path: Path) -> None:
    write_toml(tmp_path / "packages/core/pyproject.toml", poetry("core", sqlalchemy="^2.0"))
    write_toml(
        tmp_path / "packages/api/pyproject.toml",
        poetry("api", core={"path": "../core", "develop": True}),
    )
    write_toml(
        tmp_path / "services/deep/x/pyproject.toml",
        poetry("deep", core={"path": "../../../packages/core"}),
    )
    for skipped in (
        ".venv/lib/pyproject.toml",
        "node_modules/x/pyproject.toml",
        "build/y/pyproject.toml",
        ".hidden/z/pyproject.toml",
    ):
        write_toml(tmp_path / skipped, poetry("skipped-" + skipped.split("/")[0].strip(".")))
    (tmp_path / "env1").mkdir()
    (tmp_path / "env1/pyvenv.cfg").write_text("")
    write_toml(tmp_path / "env1/pyproject.toml", poetry("in-a-venv"))
    # a nested workspace: its root counts, its members are its own business
    write_toml(
        tmp_path / "tools/ws/pyproject.toml",
        {**project("tools-ws"), "tool": {"uv": {"workspace": {"members": ["m"]}}}},
    )
    write_toml(tmp_path / "tools/ws/m/pyproject.toml", project("nested-member"))
    ws = discover(tmp_path)
    assert ws.kind == "paths"
    assert [p.name for p in ws.packages] == ["api", "core", "deep", "tools-ws"]


def test_path_dependency_outside_the_repository_is_an_error(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write_toml(repo / "a/pyproject.toml", poetry("a", b={"path": "../../elsewhere"}))
    with pytest.raises(WorkspaceError, match="outside the repository") as info:
        discover(repo)
    assert info.value.where == "a/pyproject.toml"


def test_find_root_walks_up_to_the_workspace(make_repo: RepoFactory) -> None:
    root = make_repo({"p/a": project("a")})
    assert find_root(root / "p" / "a" / "src") == root


def test_unknown_app_package_is_an_error(make_repo: RepoFactory) -> None:
    root = make_repo({"p/a": project("a")}, apps={"web": {"package": "nope"}})
    with pytest.raises(WorkspaceError, match=r"tool\.monolock\.apps\.web: package 'nope'"):
        discover(root)


def test_unreadable_manifest_found_by_walking_is_a_warning(tmp_path: Path) -> None:
    write_toml(tmp_path / "a/pyproject.toml", poetry("a"))
    (tmp_path / "fixtures/broken").mkdir(parents=True)
    (tmp_path / "fixtures/broken/pyproject.toml").write_text("[project\n")
    ws = discover(tmp_path)
    assert [p.name for p in ws.packages] == ["a"]
    assert any(w.startswith("fixtures/broken/pyproject.toml:1:") for w in ws.warnings)


def _files(root: Path, *paths: str) -> None:
    for path in paths:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text("")


def _shipped(root: Path, manifest: dict[str, Any]) -> tuple[str, ...]:
    from monolock.manifest.reader import read_package

    return read_package(manifest, root, ".").import_names


POETRY = {"build-system": {"build-backend": "poetry.core.masonry.api"}}


@pytest.mark.parametrize(
    ("files", "poetry", "names"),
    [
        # poetry-core's default: the directory named after the project, a namespace too
        (["acme_billing/__init__.py", "samples/demo.py"], {}, ("acme_billing",)),
        (["acme_billing/invoices/__init__.py", "tools/x.py"], {}, ("acme_billing.invoices",)),
        (["src/acme_billing/__init__.py", "scripts/run.py"], {}, ("acme_billing",)),
        (["acme_billing.py", "bench.py"], {}, ("acme_billing",)),
        # explicit packages: from a directory, and globs
        (
            ["lib/acme/a/__init__.py", "lib/acme/b/__init__.py", "lib/other/__init__.py"],
            {"packages": [{"include": "acme", "from": "lib"}]},
            ("acme.a", "acme.b"),
        ),
        (  # a path below `from` is a dotted name, below a namespace
            ["src/acme/log/__init__.py", "src/acme/log/_ast.py", "src/acme/tasks/__init__.py"],
            {"packages": [{"include": "acme/log", "from": "src"}]},
            ("acme.log",),
        ),
        (
            ["plugin_a/__init__.py", "plugin_b/__init__.py", "tools/__init__.py"],
            {"packages": [{"include": "plugin_*"}]},
            ("plugin_a", "plugin_b"),
        ),
        # only what goes into the wheel
        (
            ["acme_billing/__init__.py", "extra/__init__.py"],
            {"packages": [{"include": "acme_billing"}, {"include": "extra", "format": "sdist"}]},
            ("acme_billing",),
        ),
        # a project Poetry manages but never builds ships nothing
        (["acme_billing/__init__.py"], {"package-mode": False}, ()),
    ],
)
def test_what_poetry_core_packs_is_what_ships(
    tmp_path: Path, files: list[str], poetry: dict[str, object], names: tuple[str, ...]
) -> None:
    _files(tmp_path, *files)
    manifest = {"tool": {"poetry": {"name": "acme-billing", "version": "1", **poetry}}, **POETRY}
    assert _shipped(tmp_path, manifest) == names


def test_what_flit_setuptools_and_uv_pack_is_what_ships(tmp_path: Path) -> None:
    _files(tmp_path, "acme/tools/__init__.py", "samples/a/__init__.py", "src/app/__init__.py")
    _files(tmp_path, "src/app_cli/__init__.py", "src/tests/__init__.py", "helper.py")
    flit = {
        "project": {"name": "x", "version": "1"},
        "build-system": {"build-backend": "flit_core.buildapi"},
        "tool": {"flit": {"module": {"name": "acme.tools"}}},
    }
    assert _shipped(tmp_path, flit) == ("acme.tools",)  # samples/ is not shipped
    find = {
        "project": {"name": "x", "version": "1"},
        "build-system": {"build-backend": "setuptools.build_meta"},
        "tool": {
            "setuptools": {
                "packages": {"find": {"where": ["src"], "include": ["app*"], "exclude": ["*_cli"]}},
                "py-modules": ["helper"],
            }
        },
    }
    assert _shipped(tmp_path, find) == ("app", "helper")
    uv_build: dict[str, Any] = {
        "project": {"name": "app-cli", "version": "1"},
        "build-system": {"build-backend": "uv_build"},
    }
    assert _shipped(tmp_path, uv_build) == ("app_cli",)
    uv_build["tool"] = {"uv": {"build-backend": {"module-name": "acme.tools", "module-root": ""}}}
    assert _shipped(tmp_path, uv_build) == ("acme.tools",)


def test_what_maturin_and_pdm_pack_is_what_ships(tmp_path: Path) -> None:
    _files(tmp_path, "python/fastthing/__init__.py", "python/fastthing/_core.pyi")
    _files(tmp_path, "bench/run.py", "samples/demo.py", "lib/pdmpkg/__init__.py", "tools.py")
    maturin: dict[str, Any] = {
        "project": {"name": "fastthing", "version": "1"},
        "build-system": {"build-backend": "maturin"},
        "tool": {"maturin": {"python-source": "python", "module-name": "fastthing._core"}},
    }
    assert _shipped(tmp_path, maturin) == ("fastthing",)
    del maturin["tool"]["maturin"]["python-source"]
    assert _shipped(tmp_path, maturin) == (), "a pure Rust module: no Python ships"
    pdm: dict[str, Any] = {
        "project": {"name": "pdmpkg", "version": "1"},
        "build-system": {"build-backend": "pdm.backend"},
        "tool": {"pdm": {"build": {"package-dir": "lib"}}},
    }
    assert _shipped(tmp_path, pdm) == ("pdmpkg",)
    pdm["tool"]["pdm"]["build"] = {"includes": ["lib/pdmpkg/", "tools.py"]}
    assert _shipped(tmp_path, pdm) == ("pdmpkg", "tools")


def test_code_packed_from_another_projects_directory_is_that_projects(tmp_path: Path) -> None:
    _files(tmp_path, "log/src/acme/log/__init__.py", "suite/src/suite/__init__.py")
    packages = [
        {"include": "suite", "from": "src"},
        {"include": "acme/log", "from": "../log/src"},  # built for tests, checked in log
    ]
    manifest = {
        "tool": {"poetry": {"name": "suite", "version": "1", "packages": packages}},
        **POETRY,
    }
    assert _shipped(tmp_path / "suite", manifest) == ("suite",)
