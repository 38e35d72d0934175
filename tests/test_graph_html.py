"""`graph --format html`: the layout, the page's safety, and the page itself in a real
headless Chromium (Debian's, driven through its chromedriver): every member drawn, a
click highlighting the member's closure and dependents, search marking matches."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from monolock.graph import Graph
from monolock.report.graph_html import layout
from monolock.workspace import discover
from tests.conftest import RepoFactory, Run, project

WS = {n: {"workspace": True} for n in ("core", "web", "tools")}
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture
def repo(make_repo: RepoFactory, cli: Callable[..., Run]) -> Path:
    """core <- web <- admin (apps: web, admin); admin's dev group uses tools; tools alone."""
    root = make_repo(
        {
            "libs/core": project("core", ["alpha<2"]),
            "libs/tools": project("tools", ["delta"]),
            "apps/web": project("web", ["core", "pyyaml"], sources=WS),
            "apps/admin": project(
                "admin", ["web"], sources=WS, **{"dependency-groups": {"dev": ["tools"]}}
            ),
        },
        apps=["web", "admin"],
    )
    assert cli("-C", root, "lock").code == 0
    return root


def _page(cli: Callable[..., Run], root: Path, *args: str) -> tuple[Path, dict[str, Any]]:
    target = root.parent / f"{root.name}-graph.html"
    result = cli("-C", root, "graph", "--format", "html", "-o", target, *args)
    assert result.code == 0, result.err
    text = target.read_text()
    found = re.search(r'<script type="application/json" id="data">(.*?)</script>', text, re.S)
    assert found is not None
    return target, json.loads(found.group(1))


def test_the_page_holds_the_graph_laid_out_in_layers(repo: Path, cli: Callable[..., Run]) -> None:
    target, data = _page(cli, repo)
    nodes = {n["name"]: n for n in data["nodes"]}
    assert set(nodes) == {"core", "web", "admin", "tools"}
    assert nodes["admin"]["y"] < nodes["web"]["y"] < nodes["core"]["y"], "dependencies below"
    assert {n for n, v in nodes.items() if v["app"]} == {"web", "admin"}
    # the app's projection: web and core; alpha and pyyaml (as `export` counts them)
    exported = cli("-C", repo, "export", "web", "--no-hashes").out.splitlines()
    third = sum(1 for line in exported if re.match(r"[a-z0-9][a-z0-9._-]*==", line))
    assert third >= 2
    assert nodes["web"]["size"] == [2, third] and nodes["core"]["size"] is None
    edges = {(e["source"], e["target"], e["label"]) for e in data["edges"]}
    assert edges == {
        ("web", "core", "runtime"),
        ("admin", "web", "runtime"),
        ("admin", "tools", "group:dev"),
    }
    assert "http://" not in target.read_text().replace("http://www.w3.org/2000/svg", ""), (
        "nothing is fetched"
    )
    _, runtime = _page(cli, repo, "--runtime")
    assert {e["label"] for e in runtime["edges"]} == {"runtime"}
    _, closure = _page(cli, repo, "--app", "web")
    assert {n["name"] for n in closure["nodes"]} == {"web", "core"}


def test_layout_is_deterministic_and_survives_cycles(repo: Path) -> None:
    graph = Graph(discover(repo))
    names = sorted(graph.nodes)
    first = layout(names, list(graph.edges))
    assert first == layout(list(reversed(names)), list(reversed(graph.edges)))
    boxes = {(x, y) for x, y, _ in first.values()}
    assert len(boxes) == len(names), "no two members on one spot"


def test_names_cannot_escape_the_page(
    make_repo: RepoFactory, cli: Callable[..., Run], tmp_path: Path
) -> None:
    root = make_repo({"libs/</script><b>x</b>": project("odd")})
    target, data = _page(cli, root)
    assert data["nodes"][0]["path"] == "libs/</script><b>x</b>"
    assert "<b>x</b>" not in target.read_text()
    plain = tmp_path / "mine.html"
    plain.write_text("<html>my own page</html>\n")
    refused = cli("-C", root, "graph", "--format", "html", "-o", plain)
    assert refused.code == 2 and "not written by monolock" in refused.err
    assert plain.read_text() == "<html>my own page</html>\n"
    assert cli("-C", root, "graph", "--format", "dot", "-o", tmp_path / "g.dot").code == 2


@pytest.fixture
def browser() -> Iterator[Any]:
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("Chromium and chromedriver are not installed (.ci/run installs them)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.add_argument("--window-size=1200,800")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_in_a_browser_every_member_is_drawn_and_a_click_shows_its_closure(
    repo: Path, cli: Callable[..., Run], browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    target, _ = _page(cli, repo)
    browser.get(target.as_uri())

    def classes() -> dict[str, set[str]]:
        found = browser.find_elements(By.CSS_SELECTOR, "g.node")
        return {g.get_attribute("data-name"): set(g.get_attribute("class").split()) for g in found}

    drawn = browser.find_elements(By.CSS_SELECTOR, "g.node")
    names = {g.find_element(By.CSS_SELECTOR, "text:not(.size)").text for g in drawn}
    assert names == {"core", "web", "admin", "tools"}
    for g in drawn:
        box = g.find_element(By.TAG_NAME, "rect").rect
        assert g.is_displayed() and box["width"] > 10 and box["height"] > 5
    assert {n for n, c in classes().items() if "app" in c} == {"web", "admin"}
    labels = [t.text for t in browser.find_elements(By.CSS_SELECTOR, "g.edge text")]
    assert labels == ["group:dev"]
    shot = tmp_path / "graph.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 5000

    browser.find_element(By.CSS_SELECTOR, 'g.node[data-name="web"] rect').click()
    found = classes()
    assert "selected" in found["web"]
    assert "closure" in found["core"] and "dependent" in found["admin"]
    assert "dim" in found["tools"]
    panel = browser.find_element(By.ID, "summary").text
    assert "Installs (runtime closure) (1)" in panel and "Installed by (dependents) (1)" in panel
    assert re.search(r"projection holds 2 members and \d+ third-party", panel)

    browser.find_element(By.CSS_SELECTOR, '#summary a[data-name="core"]').click()
    assert "selected" in classes()["core"] and "dependent" in classes()["admin"]

    search = browser.find_element(By.ID, "search")
    search.send_keys("too")
    assert "match" in classes()["tools"] and "dim" in classes()["core"]
    search.send_keys(Keys.ENTER)
    assert "selected" in classes()["tools"]
    search.send_keys(Keys.ESCAPE)
    assert not any(c & {"selected", "dim", "match"} for c in classes().values())


def test_a_cycle_shares_a_layer_and_what_stands_on_it_stays_above() -> None:
    """The shape of a public workspace: slim and evals need each other (an extra one
    way, runtime the other); graph is below them; `clai`, first by name, stands on top."""
    from monolock.graph import Edge
    from monolock.report.graph_html import layers

    def edge(source: str, target: str, kind: str = "runtime") -> Edge:
        return Edge(source, target, kind, None if kind == "runtime" else "x", True)  # type: ignore[arg-type]

    edges = [
        edge("slim", "graph"),
        edge("slim", "evals", "extra"),
        edge("evals", "slim"),
        edge("ai", "slim"),
        edge("clai", "ai"),
    ]
    found = layers(["ai", "clai", "evals", "graph", "slim"], edges)
    assert found == {"graph": 0, "slim": 1, "evals": 1, "ai": 2, "clai": 3}


def test_one_line_per_pair_however_many_extras_name_it(
    make_repo: RepoFactory, cli: Callable[..., Run]
) -> None:
    source = {"lib": {"workspace": True}}
    root = make_repo(
        {
            "lib": project("lib"),
            "app": project(
                "app",
                ["lib"],
                sources=source,
                optional={"a": ["lib"], "b": ["lib"]},
                groups={"dev": ["lib"]},
            ),
            "tool": project("tool", sources=source, optional={"x": ["lib"], "y": ["lib"]}),
        }
    )
    _, data = _page(cli, root)
    runtime = "extra:a, extra:b, group:dev, runtime"
    assert sorted(data["edges"], key=lambda e: e["source"]) == [
        {"source": "app", "target": "lib", "kind": "runtime", "label": runtime},
        {"source": "tool", "target": "lib", "kind": "extra", "label": "extra:x, extra:y"},
    ]
