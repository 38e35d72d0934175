from pathlib import Path

from monolock.graph import Graph
from monolock.workspace import discover
from tests.conftest import project, write_toml

WS = {n: {"workspace": True} for n in ("a", "b", "c", "d")}


def repo(tmp_path: Path, members: dict[str, dict[str, object]]) -> Graph:
    write_toml(tmp_path / "pyproject.toml", {"tool": {"uv": {"workspace": {"members": ["p/*"]}}}})
    for name, data in members.items():
        write_toml(tmp_path / "p" / name / "pyproject.toml", data)
    return Graph(discover(tmp_path))


def test_order_closure_dependents(tmp_path: Path) -> None:
    g = repo(
        tmp_path,
        {
            "a": project("a", sources=WS),
            "b": project("b", ["a"], sources=WS),
            "c": project("c", ["b", "alpha"], sources=WS),
            "d": project("d", [], groups={"dev": ["c"]}, sources=WS),
        },
    )
    assert g.order() == ["a", "b", "c", "d"]
    assert g.closure("c") == ["a", "b", "c"]
    assert g.dependents(["a"]) == ["b", "c"]
    assert g.closure("d") == ["d"]  # a dev group does not ship
    assert [(e.source, e.target, e.label) for e in g.out_edges("d", {"group"})] == [
        ("d", "c", "group:dev")
    ]
    assert g.cycles() == []


def test_runtime_cycle_is_reported_with_its_full_path(tmp_path: Path) -> None:
    g = repo(
        tmp_path,
        {
            "a": project("a", ["b"], sources=WS),
            "b": project("b", ["c"], sources=WS),
            "c": project("c", ["a"], sources=WS),
        },
    )
    cycles = g.cycles()
    assert [(str(c), c.runtime) for c in cycles] == [("a -> b -> c -> a", True)]
    assert sorted(g.order()) == ["a", "b", "c"]  # still an order, cycle members together


def test_cycle_through_a_group_only_is_a_warning(tmp_path: Path) -> None:
    g = repo(
        tmp_path,
        {
            "a": project("a", ["b"], sources=WS),
            "b": project("b", [], groups={"test": ["a"]}, sources=WS),
        },
    )
    assert [(str(c), c.runtime) for c in g.cycles()] == [("a -> b -> a", False)]


def test_missing_workspace_source_is_an_undeclared_edge(tmp_path: Path) -> None:
    g = repo(tmp_path, {"a": project("a"), "b": project("b", ["a"])})
    assert [(e.target, e.declared) for e in g.out_edges("b")] == [("a", False)]


def test_runtime_pin_of_a_member_linked_by_path_in_a_dev_group(tmp_path: Path) -> None:
    """The Poetry trap: `lib = "*"` at runtime, `lib = {path = ...}` in the dev group."""
    write_toml(tmp_path / "libs/lib/pyproject.toml", {"tool": {"poetry": {"name": "lib"}}})
    write_toml(
        tmp_path / "svc/api/pyproject.toml",
        {
            "tool": {
                "poetry": {
                    "name": "api",
                    "dependencies": {"python": "^3.11", "lib": "*"},
                    "dev-dependencies": {"lib": {"path": "../../libs/lib", "develop": True}},
                }
            }
        },
    )
    g = Graph(discover(tmp_path))
    assert sorted((e.target, e.label) for e in g.edges) == [
        ("lib", "group:dev"),
        ("lib", "runtime"),
    ]
    assert g.closure("api") == ["lib", "api"]
