from pathlib import Path
from typing import Any

import pytest

from monolock.errors import ManifestError
from monolock.manifest.reader import read_package
from monolock.manifest.toml import load_toml
from monolock.model import Dependency, Package, Source
from tests.conftest import write_toml


def read(tmp_path: Path, data: dict[str, Any] | str) -> Package:
    manifest = tmp_path / "pkg" / "pyproject.toml"
    if isinstance(data, str):
        manifest.parent.mkdir(parents=True, exist_ok=True)
        manifest.write_text(data)
    else:
        write_toml(manifest, data)
    return read_package(load_toml(manifest), manifest.parent, "pkg")


def deps(package: Package, label: str) -> dict[str, Dependency]:
    return {d.name: d for d in package.dependencies if d.label == label}


def test_pep621_with_extras_groups_and_include_group(tmp_path: Path) -> None:
    pkg = read(
        tmp_path,
        {
            "project": {
                "name": "Thds.Core",
                "version": "1.0",
                "requires-python": ">=3.11",
                "dependencies": ["Alpha[Fast]>=1; python_version >= '3.11'", "core"],
                "optional-dependencies": {"Speed": ["delta>=1"]},
            },
            "dependency-groups": {
                "test": ["devtool==2.0.0"],
                "dev": [{"include-group": "test"}, "gamma"],
            },
            "tool": {"uv": {"sources": {"core": {"workspace": True}}}},
        },
    )
    assert pkg.name == "thds-core" and pkg.display_name == "Thds.Core"
    assert pkg.requires_python == ">=3.11"
    alpha = deps(pkg, "runtime")["alpha"].requirement
    assert (alpha.specifier, alpha.extras, alpha.marker) == (
        ">=1",
        ("fast",),
        'python_version >= "3.11"',
    )
    assert deps(pkg, "runtime")["core"].source == Source("workspace", editable=True)
    assert set(deps(pkg, "extra:speed")) == {"delta"}
    assert set(deps(pkg, "group:dev")) == {"devtool", "gamma"}
    assert set(deps(pkg, "group:test")) == {"devtool"}


def test_include_group_cycle_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="include-group cycle a -> b -> a"):
        read(
            tmp_path,
            {
                "project": {"name": "x", "version": "1"},
                "dependency-groups": {"a": [{"include-group": "b"}], "b": [{"include-group": "a"}]},
            },
        )


def test_dynamic_dependencies_are_reported_not_assumed_empty(tmp_path: Path) -> None:
    pkg = read(tmp_path, {"project": {"name": "x", "dynamic": ["version", "dependencies"]}})
    assert pkg.dynamic == ("dependencies",)
    assert pkg.version is None


def test_invalid_requirement_names_file_and_key(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as info:
        read(tmp_path, {"project": {"name": "x", "dependencies": ["ok", "not a req !!"]}})
    assert info.value.where == "pkg/pyproject.toml"
    assert "project.dependencies[1]" in info.value.message


def test_malformed_toml_names_line_and_column(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as info:
        read(tmp_path, '[project]\nname = "x"\nversion = \n')
    assert str(info.value.where).endswith("pyproject.toml:3:11")


POETRY = """
[tool.poetry]
name = "api-gateway"
version = "0.1.0"

[tool.poetry.dependencies]
python = "^3.11"
fastapi = "^0.103.0"
core = { path = "../core", develop = true }
shared = { path = "../../libs/shared" }
requests = { version = "~2.31", extras = ["socks"], markers = "sys_platform != 'win32'" }
numpy = [
    { version = "^1.26", python = "<3.12" },
    { version = "^2.0", python = ">=3.12" },
]
uvloop = { version = "*", platform = "linux", optional = true }
lib = { git = "https://example.org/lib.git", tag = "v1.2" }
private = { version = "^1", source = "internal" }

[tool.poetry.extras]
speed = ["uvloop"]

[tool.poetry.group.dev.dependencies]
pytest = "7.4.0"
core = "^0.1"

[tool.poetry.dev-dependencies]
ruff = "0.0.285"
"""


def test_poetry_manifest_reads_into_the_same_model(tmp_path: Path) -> None:
    pkg = read(tmp_path, POETRY)
    assert (pkg.name, pkg.dialect, pkg.requires_python) == ("api-gateway", "poetry", ">=3.11,<4.0")
    runtime = [d for d in pkg.dependencies if d.kind == "runtime"]
    by_name = {d.name: d for d in runtime}
    assert by_name["fastapi"].requirement.specifier == ">=0.103.0,<0.104.0"
    assert by_name["core"].source == Source("path", path="../core", editable=True)
    assert by_name["shared"].source == Source("path", path="../../libs/shared", editable=False)
    req = by_name["requests"].requirement
    assert (req.specifier, req.extras, req.marker) == (
        ">=2.31,<2.32",
        ("socks",),
        "sys_platform != 'win32'",
    )
    numpy = [d.requirement for d in runtime if d.name == "numpy"]
    assert [(r.specifier, r.marker) for r in numpy] == [
        (">=1.26,<2.0", 'python_version < "3.12"'),
        (">=2.0,<3.0", 'python_version >= "3.12"'),
    ]
    assert by_name["lib"].requirement.url == "git+https://example.org/lib.git@v1.2"
    assert by_name["private"].source == Source("index", index="internal")
    assert "uvloop" not in by_name  # optional: exists only through its extra
    uvloop = next(d for d in pkg.dependencies if d.name == "uvloop")
    assert (uvloop.label, uvloop.requirement.marker) == ("extra:speed", 'sys_platform == "linux"')
    dev = {d.name: d for d in pkg.dependencies if d.label == "group:dev"}
    assert dev["pytest"].requirement.specifier == "==7.4.0"
    assert dev["core"].requirement.specifier == ">=0.1,<0.2"  # a pin next to the path dep
    assert dev["ruff"].requirement.specifier == "==0.0.285"  # legacy dev-dependencies


def test_poetry_union_with_gap_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as info:
        read(
            tmp_path,
            '[tool.poetry]\nname = "x"\n[tool.poetry.dependencies]\nfoo = "^1.0 || ^3.0"\n',
        )
    assert "tool.poetry.dependencies.foo" in info.value.message
    assert "gap" in info.value.message


def test_exact_python_pin(tmp_path: Path) -> None:
    pkg = read(
        tmp_path, '[tool.poetry]\nname = "x"\n[tool.poetry.dependencies]\npython = "3.9.19"\n'
    )
    assert pkg.requires_python == "==3.9.19"


def test_poetry2_pep621_project_takes_path_sources_from_tool_poetry(tmp_path: Path) -> None:
    pkg = read(
        tmp_path,
        {
            "project": {"name": "svc", "version": "1", "dependencies": ["core"]},
            "tool": {
                "poetry": {
                    "dependencies": {"core": {"path": "../core", "develop": True}},
                    "group": {"dev": {"dependencies": {"pytest": "^8"}}},
                }
            },
        },
    )
    assert deps(pkg, "runtime")["core"].source == Source("path", path="../core", editable=True)
    assert deps(pkg, "group:dev")["pytest"].requirement.specifier == ">=8,<9"
