"""Generate a synthetic monorepo of any size, for benchmarks.

    python benchmarks/generate.py OUT --packages 30 --modules 50 [--flavor pep621|poetry]
        [--pool real|wheelhouse] [--seed 1]

Packages form a random DAG (each depends on up to --fanout earlier ones). Every module
imports a few internal and third-party packages, and every package declares exactly
what its modules import. Third-party names come from a fixed pool of real PyPI
distributions (import names differ from dist names where they do in life: PyYAML/yaml,
Pillow/PIL, python-dateutil/dateutil) or from the tests' fake wheelhouse.
PEP 621 repos get a uv workspace root; Poetry repos get one pyproject per package with
`path` dependencies and no root, as in the Poetry style.
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass
from pathlib import Path

# (distribution, import name, constraint): small, pure-Python where possible
REAL_POOL: tuple[tuple[str, str, str], ...] = (
    ("requests", "requests", ">=2.31"),
    ("pyyaml", "yaml", ">=6"),
    ("attrs", "attrs", ">=23"),
    ("click", "click", ">=8"),
    ("python-dateutil", "dateutil", ">=2.8"),
    ("six", "six", ">=1.16"),
    ("idna", "idna", ">=3"),
    ("packaging", "packaging", ">=23"),
    ("tomli-w", "tomli_w", ">=1"),
    ("platformdirs", "platformdirs", ">=4"),
    ("colorama", "colorama", ">=0.4"),
    ("typing-extensions", "typing_extensions", ">=4.8"),
    ("certifi", "certifi", ">=2023"),
    ("charset-normalizer", "charset_normalizer", ">=3"),
    ("markupsafe", "markupsafe", ">=2"),
    ("jinja2", "jinja2", ">=3"),
    ("itsdangerous", "itsdangerous", ">=2"),
    ("wrapt", "wrapt", ">=1.14"),
    ("tabulate", "tabulate", ">=0.9"),
    ("pillow", "PIL", ">=10"),
)
WHEELHOUSE_POOL: tuple[tuple[str, str, str], ...] = (
    ("alpha", "alpha", ">=1"),
    ("beta", "beta", ">=1"),
    ("gamma", "gamma", ">=1"),
    ("delta", "delta", ">=1"),
    ("pyyaml", "yaml", ">=6"),
    ("pillow", "PIL", ">=10"),
)


@dataclass(frozen=True)
class Spec:
    packages: int
    modules: int
    flavor: str = "pep621"
    pool: str = "real"
    fanout: int = 3
    third_party: int = 3
    seed: int = 1
    topology: str = "random"  # random: up to `fanout` earlier members; chain: the one before
    planted: int = 0  # packages given one undeclared import and one unused dependency


def _name(i: int) -> str:
    return f"pkg-{i:04d}"


def _module(i: int) -> str:
    return f"pkg_{i:04d}"


def _pep621(name: str, deps: list[str], third: list[str], internal: list[str]) -> str:
    lines = [
        "[project]",
        f'name = "{name}"',
        'version = "0.1.0"',
        'requires-python = ">=3.11"',
        "dependencies = [",
        *[f'    "{d}",' for d in sorted(third + internal)],
        "]",
        "",
        "[dependency-groups]",
        'dev = ["pytest>=8"]',
        "",
    ]
    if internal:
        lines += ["[tool.uv.sources]"] + [f"{d} = {{ workspace = true }}" for d in sorted(internal)]
        lines.append("")
    lines += ["[build-system]", 'requires = ["hatchling"]', 'build-backend = "hatchling.build"', ""]
    return "\n".join(lines)


def _poetry(name: str, third: list[tuple[str, str]], internal: list[str]) -> str:
    lines = [
        "[tool.poetry]",
        f'name = "{name}"',
        'version = "0.1.0"',
        'description = ""',
        'authors = ["bench <bench@example.org>"]',
        f'packages = [{{ include = "{name.replace("-", "_")}", from = "src" }}]',
        "",
        "[tool.poetry.dependencies]",
        'python = "^3.11"',
        *[f'{d} = "{c.replace(">=", "^")}"' for d, c in sorted(third)],
        *[f'{d} = {{ path = "../{d}", develop = true }}' for d in sorted(internal)],
        "",
        "[tool.poetry.group.dev.dependencies]",
        'pytest = "8.3.3"',
        "",
        "[build-system]",
        'requires = ["poetry-core"]',
        'build-backend = "poetry.core.masonry.api"',
        "",
    ]
    return "\n".join(lines)


def generate(out: Path, spec: Spec) -> Path:
    rng = random.Random(spec.seed)
    pool = REAL_POOL if spec.pool == "real" else WHEELHOUSE_POOL
    out.mkdir(parents=True, exist_ok=True)
    has_dependents: set[int] = set()
    planted: list[dict[str, str]] = []
    for i in range(spec.packages):
        name, module = _name(i), _module(i)
        earlier = list(range(i))
        if spec.topology == "chain":
            internal_ids = [i - 1] if i else []
        else:
            internal_ids = sorted(
                rng.sample(earlier, min(len(earlier), rng.randint(0, spec.fanout)))
            )
        has_dependents.update(internal_ids)
        third = sorted(rng.sample(pool, min(len(pool), rng.randint(1, spec.third_party))))
        internal = [_name(j) for j in internal_ids]
        pkg = out / "packages" / name
        src = pkg / "src" / module
        src.mkdir(parents=True, exist_ok=True)
        (src / "__init__.py").write_text(f'"""{name}."""\n')
        imports_third = [imp for _, imp, _ in third]
        imports_internal = [_module(j) for j in internal_ids]
        for m in range(spec.modules):
            chosen = imports_third + imports_internal
            # every import is used by some module: module m takes a rotating share
            picks = [chosen[(m + k) % len(chosen)] for k in range(min(3, len(chosen)))]
            body = [f'"""Module {m} of {name}."""', "", "from __future__ import annotations", ""]
            body += [f"import {p}" for p in sorted(set(picks))]
            if m > 0:
                body.append(f"from {module} import mod_{m - 1:04d}")
            body += ["", "", f"def f{m}() -> int:", f"    return {m}", ""]
            (src / f"mod_{m:04d}.py").write_text("\n".join(body))
        tests = pkg / "tests"
        tests.mkdir(exist_ok=True)
        (tests / f"test_{module}.py").write_text(
            f"from {module}.mod_0000 import f0\n\n\ndef test_f0() -> None:\n    assert f0() == 0\n"
        )
        declared = list(third)
        if i < spec.planted:
            # the truth a checker is measured against: an import nobody declared (one
            # whose import name differs from its distribution's where the pool has one)
            # and a declared dependency nothing imports
            others = [t for t in pool if t not in third]
            missing = next((t for t in others if t[0] != t[1]), others[0])
            unused = next(t for t in others if t != missing)
            first = src / "mod_0000.py"
            first.write_text(first.read_text() + f"\nimport {missing[1]}  # planted\n")
            declared.append(unused)
            planted.append(
                {"package": name, "kind": "undeclared", "dist": missing[0], "import": missing[1]}
            )
            planted.append({"package": name, "kind": "unused", "dist": unused[0]})
        if spec.flavor == "poetry":
            text = _poetry(name, [(d, c) for d, _, c in declared], internal)
        else:
            text = _pep621(name, internal, [f"{d}{c}" for d, _, c in declared], internal)
        (pkg / "pyproject.toml").write_text(text)
    if spec.flavor == "pep621":
        apps = [_name(i) for i in range(spec.packages) if i not in has_dependents]
        root = [
            "[tool.uv.workspace]",
            'members = ["packages/*"]',
            "",
            "[tool.uv]",
            'python-downloads = "never"',
            "",
            "[tool.monolock]",
            "apps = [" + ", ".join(f'"{a}"' for a in apps) + "]",
            "",
        ]
        (out / "pyproject.toml").write_text("\n".join(root))
    if planted:
        (out / "planted.json").write_text(json.dumps(planted, indent=2))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--packages", type=int, default=30)
    parser.add_argument("--modules", type=int, default=20)
    parser.add_argument("--flavor", choices=["pep621", "poetry"], default="pep621")
    parser.add_argument("--pool", choices=["real", "wheelhouse"], default="real")
    parser.add_argument("--fanout", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--topology", choices=["random", "chain"], default="random")
    parser.add_argument("--planted", type=int, default=0)
    args = parser.parse_args()
    spec = Spec(
        args.packages,
        args.modules,
        args.flavor,
        args.pool,
        args.fanout,
        seed=args.seed,
        topology=args.topology,
        planted=args.planted,
    )
    print(generate(args.out, spec))


if __name__ == "__main__":
    main()
