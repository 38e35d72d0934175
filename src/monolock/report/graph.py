"""The internal graph as a text tree, Mermaid, Graphviz DOT or JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable

from monolock.graph import Edge, Graph


def shown(graph: Graph, nodes: Iterable[str], runtime_only: bool) -> tuple[list[str], list[Edge]]:
    """The members drawn, sorted, and the edges between them (runtime ones only, if
    asked): what every format shows."""
    keep = set(nodes)
    edges = [
        e
        for e in graph.edges
        if e.source in keep and e.target in keep and (e.kind == "runtime" or not runtime_only)
    ]
    return sorted(keep), edges


def text(graph: Graph, nodes: Iterable[str], apps: set[str], runtime_only: bool = False) -> str:
    names, edges = shown(graph, nodes, runtime_only)
    children: dict[str, list[Edge]] = {n: [] for n in names}
    has_parent: set[str] = set()
    for e in edges:
        children[e.source].append(e)
        has_parent.add(e.target)
    roots = [n for n in names if n not in has_parent] or names
    lines: list[str] = []
    expanded: set[str] = set()

    def targets(node: str) -> list[tuple[str, str]]:
        """(target, label) once per target; a runtime edge needs no label, others are
        named."""
        labels: dict[str, set[str]] = {}
        for edge in children[node]:
            labels.setdefault(edge.target, set()).add(edge.label)
        return [
            (t, "" if "runtime" in k else f" ({', '.join(sorted(k))})")
            for t, k in sorted(labels.items())
        ]

    def walk(root: str) -> None:
        """Depth first, as a recursive walk prints it, with a stack of its own: a chain
        of thousands of members is deeper than Python's recursion goes."""
        frames = [(root, "", iter(targets(root)), len(targets(root)))]
        on_path = {root}
        counts = [0]
        while frames:
            node, prefix, pending, total = frames[-1]
            step = next(pending, None)
            if step is None:
                frames.pop()
                counts.pop()
                on_path.discard(node)
                continue
            target, label = step
            counts[-1] += 1
            last = counts[-1] == total
            mark = ""
            if target in on_path:
                mark = " [cycle]"
            elif target in expanded and children[target]:
                mark = " (*)"
            lines.append(f"{prefix}{'└── ' if last else '├── '}{target}{label}{mark}")
            if not mark:
                expanded.add(target)
                below = targets(target)
                indent = prefix + ("    " if last else "│   ")
                frames.append((target, indent, iter(below), len(below)))
                counts.append(0)
                on_path.add(target)

    for root in roots:
        lines.append(root + (" [app]" if root in apps else ""))
        expanded.add(root)
        walk(root)
    if any("(*)" in line for line in lines):
        lines.append("(*) dependencies shown above")
    return "\n".join(lines)


def _mermaid_id(name: str) -> str:
    return "n_" + "".join(c if c.isalnum() else "_" for c in name)


def _mermaid_text(text: str) -> str:
    """A label Mermaid shows as written: quotes, pipes, brackets and line breaks become
    its entity codes, so no name can end a label or start a statement."""
    out = []
    for char in text:
        if char.isalnum() or char in "-_.: ":
            out.append(char)
        else:
            out.append(f"#{ord(char)};")
    return "".join(out)


def mermaid(graph: Graph, nodes: Iterable[str], apps: set[str], runtime_only: bool = False) -> str:
    names, edges = shown(graph, nodes, runtime_only)
    lines = ["graph TD"]
    for n in names:
        label = _mermaid_text(n)
        shape = f'{_mermaid_id(n)}[["{label}"]]' if n in apps else f'{_mermaid_id(n)}["{label}"]'
        lines.append(f"    {shape}")
    for e in edges:
        arrow = "-->" if e.kind == "runtime" else f'-.->|"{_mermaid_text(e.label)}"|'
        lines.append(f"    {_mermaid_id(e.source)} {arrow} {_mermaid_id(e.target)}")
    return "\n".join(lines)


def dot(graph: Graph, nodes: Iterable[str], apps: set[str], runtime_only: bool = False) -> str:
    names, edges = shown(graph, nodes, runtime_only)
    lines = ["digraph monolock {", "    rankdir=LR;", "    node [shape=box];"]
    for n in names:
        style = " [style=bold, peripheries=2]" if n in apps else ""
        lines.append(f"    {json.dumps(n)}{style};")
    for e in edges:
        attrs = "" if e.kind == "runtime" else f" [style=dashed, label={json.dumps(e.label)}]"
        lines.append(f"    {json.dumps(e.source)} -> {json.dumps(e.target)}{attrs};")
    lines.append("}")
    return "\n".join(lines)


def as_json(graph: Graph, nodes: Iterable[str], apps: set[str], runtime_only: bool = False) -> str:
    names, edges = shown(graph, nodes, runtime_only)
    keep = set(names)
    data = {
        "nodes": [{"name": n, "path": graph.package(n).path, "app": n in apps} for n in names],
        "edges": [
            {
                "source": e.source,
                "target": e.target,
                "kind": e.kind,
                "context": e.context,
                "declared": e.declared,
            }
            for e in edges
        ],
        "order": [n for n in graph.order() if n in keep],
        "cycles": [
            {"path": list(c.path), "runtime": c.runtime}
            for c in graph.cycles()
            if set(c.path) <= keep
        ],
    }
    return json.dumps(data, indent=2, sort_keys=True)
