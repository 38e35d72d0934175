"""`graph --format html`: one self-contained page (no network when it is viewed) that draws
the members as layers, dependencies below their dependents, apps marked, edges labelled.

The layout is computed here, deterministically: a member's layer is the length of the
longest chain of dependencies below it (the members of a cycle, found as the graph finds
them, share the layer above their other dependencies), and each layer is ordered by the
mean position of its neighbours, sweeping down and up a few times, which untangles most
crossings; a layer wider than
about twice the square root of the members wraps onto more rows. The page's script
(`graph.html`, data, not code) only draws and answers clicks and searches.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path

from monolock.graph import Edge, Graph, components
from monolock.report.graph import shown

_TEMPLATE = Path(__file__).with_name("graph.html")
HEADER = "<!-- Written by `monolock graph --format html`"  # -o replaces only such a file
_SWEEPS = 4
_CHAR = 7.2  # px per character of the label font
_PAD = 24  # px around a label inside its box
_GAP = 28  # px between boxes of a layer
_ROW = 110  # px from one layer to the next
_HEIGHT = 34  # px of a box


def layers(names: list[str], edges: list[Edge]) -> dict[str, int]:
    """member -> layer: 0 for members that depend on none shown, else one above the
    highest of their dependencies; the members of a cycle share one layer."""
    below: dict[str, set[str]] = {n: set() for n in names}
    for e in edges:
        below[e.source].add(e.target)
    layer: dict[str, int] = {}
    for group in components(below):  # dependencies before dependents
        inside = set(group)
        level = max((layer[d] + 1 for n in group for d in below[n] - inside), default=0)
        layer.update(dict.fromkeys(group, level))
    return layer


def _order(rows: list[list[str]], edges: list[Edge]) -> None:
    """Barycentre sweeps, in place: each layer sorted by where its neighbours stand in
    the layer just handled."""
    near: dict[str, set[str]] = {}
    for e in edges:
        near.setdefault(e.source, set()).add(e.target)
        near.setdefault(e.target, set()).add(e.source)
    order = list(range(len(rows))) + list(range(len(rows) - 1, -1, -1))
    for _ in range(_SWEEPS):
        for i, index in enumerate(order[1:], 1):
            reference = rows[order[i - 1]]
            at = {name: k for k, name in enumerate(reference)}
            row = rows[index]
            here = {name: k for k, name in enumerate(row)}

            def centre(name: str, at: dict[str, int] = at, here: dict[str, int] = here) -> float:
                found = [at[n] for n in near.get(name, ()) if n in at]
                return sum(found) / len(found) if found else float(here[name])

            row.sort(key=lambda n: (centre(n), n))


def layout(names: list[str], edges: list[Edge]) -> dict[str, tuple[float, float, float]]:
    """member -> (x, y, width) of its box's centre, in px; layer 0 at the bottom."""
    layer = layers(names, edges)
    top = max(layer.values(), default=0)
    rows: list[list[str]] = [sorted(n for n in names if layer[n] == i) for i in range(top + 1)]
    rows.reverse()  # drawn top to bottom: dependents first
    _order(rows, edges)
    # a layer wider than the rest of the picture (often the many leaves) wraps
    cap = max(8, int(2 * math.sqrt(len(names))))
    rows = [row[i : i + cap] for row in rows for i in range(0, len(row), cap)]
    widths = {n: len(n) * _CHAR + _PAD for n in names}
    spans = [sum(widths[n] for n in row) + _GAP * max(0, len(row) - 1) for row in rows]
    widest = max(spans, default=0.0)
    out: dict[str, tuple[float, float, float]] = {}
    for r, row in enumerate(rows):
        x = (widest - spans[r]) / 2
        for name in row:
            out[name] = (x + widths[name] / 2, r * _ROW + _HEIGHT, widths[name])
            x += widths[name] + _GAP
    return out


def _drawn(edges: list[Edge]) -> list[dict[str, str]]:
    """One line per pair of members: a member naming another in twelve extras gets one
    edge labelled with all twelve, not twelve labels stacked on one spot. Runtime when
    any of them is."""
    pairs: dict[tuple[str, str], set[str]] = {}
    for e in edges:
        pairs.setdefault((e.source, e.target), set()).add(e.label)
    out: list[dict[str, str]] = []
    for (source, target), labels in pairs.items():
        named = sorted(labels)
        kind = "runtime" if "runtime" in labels else named[0].split(":")[0]
        out.append({"source": source, "target": target, "kind": kind, "label": ", ".join(named)})
    return out


def _json(value: object) -> str:
    """JSON that cannot end the script element it sits in."""
    return json.dumps(value, sort_keys=True).replace("<", "\\u003c").replace(">", "\\u003e")


def render(
    graph: Graph,
    nodes: Iterable[str],
    apps: set[str],
    *,
    runtime_only: bool,
    title: str,
    sizes: Mapping[str, tuple[int, int]],
) -> str:
    """The page. `sizes`: app member -> (members, third-party distributions) of its
    projection; an app missing from it is shown without one."""
    names, edges = shown(graph, nodes, runtime_only)
    boxes = layout(names, edges)
    data = {
        "nodes": [
            {
                "name": n,
                "path": graph.package(n).path,
                "app": n in apps,
                "size": list(sizes[n]) if n in sizes else None,
                "x": round(boxes[n][0], 1),
                "y": round(boxes[n][1], 1),
                "w": round(boxes[n][2], 1),
            }
            for n in names
        ],
        "edges": _drawn(edges),
        "height": _HEIGHT,
    }
    page = _TEMPLATE.read_text(encoding="utf-8")
    return page.replace("@title@", html.escape(title)).replace("@data@", _json(data))
