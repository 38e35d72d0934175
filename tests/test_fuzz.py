"""The readers of what users write, fuzzed: any input gives a value or monolock's own error
(which the command line turns into a message and exit 2), never another exception."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tomlkit
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from monolock import markers as mk
from monolock.errors import MonolockError
from monolock.lockfile import parse_lock
from monolock.manifest.common import parse_requirement
from monolock.manifest.constraint import ConstraintError, to_specifier
from monolock.manifest.reader import read_package
from monolock.manifest.schema import check as check_manifest
from monolock.model import Lock, Package, Requirement
from monolock.poetry.lock import parse as parse_poetry_lock
from tests.test_trust import API, CORE, make, snapshot

FUZZ = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# text that looks like what the readers see: operators, versions, names, markers, junk
_PIECES = st.sampled_from(
    [
        "^", "~", "~=", "==", "!=", ">=", "<=", ">", "<", "=", "*", ".*", "||", "|", ",", " ",
        "v", "1", "0", "2", "10", ".", "a", "b1", "rc", "post", "dev", "+local", "!", "x",
        "python_version", "sys_platform", "extra", "'3.11'", '"linux"', " and ", " or ",
        "(", ")", ";", "[", "]", "@", "requests", "-", "_", "\n", "\x00", "é", "\u0661",
    ]
)  # fmt: skip
TEXT = st.one_of(st.text(max_size=30), st.lists(_PIECES, max_size=12).map("".join))

SCALARS = st.one_of(
    TEXT,
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.booleans(),
    st.floats(allow_nan=False),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


@FUZZ
@given(TEXT)
def test_a_poetry_constraint_is_a_specifier_or_a_constraint_error(text: str) -> None:
    try:
        found = to_specifier(text)
    except ConstraintError:
        return
    assert isinstance(found, str)


@FUZZ
@given(TEXT)
def test_a_requirement_is_read_or_refused(text: str) -> None:
    try:
        found = parse_requirement(text, where="pyproject.toml", key="project.dependencies[0]")
    except MonolockError as exc:
        assert "project.dependencies[0]" in str(exc)
    else:
        assert isinstance(found, Requirement) and found.name


@FUZZ
@given(TEXT, TEXT)
def test_markers_are_judged_without_raising(a: str, b: str) -> None:
    assert isinstance(mk.is_valid(a), bool)
    assert isinstance(mk.equivalent(a, b), bool)
    if mk.is_valid(a):
        space = mk.Space(">=3.9")
        conj = mk.conj_of(a, space)
        assert conj is None or isinstance(mk.render(mk.extend(mk.TRUE, conj, space)), str | None)


_PROJECT_KEYS = st.sampled_from(
    [
        "name", "version", "requires-python", "dependencies", "optional-dependencies",
        "dynamic", "scripts",
    ]
)  # fmt: skip
_POETRY_KEYS = st.sampled_from(
    [
        "name", "version", "dependencies", "group", "dev-dependencies", "extras", "source",
        "packages", "scripts",
    ]
)  # fmt: skip


def _manifest(project: dict[str, Any], poetry: dict[str, Any], groups: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if project:
        data["project"] = project
    if poetry:
        data.setdefault("tool", {})["poetry"] = poetry
    if groups is not None:
        data["dependency-groups"] = groups
    return data


@FUZZ
@given(
    st.dictionaries(_PROJECT_KEYS, VALUES, max_size=5),
    st.dictionaries(_POETRY_KEYS, VALUES, max_size=5),
    st.none() | VALUES,
)
def test_a_manifest_is_a_package_or_a_manifest_error(
    tmp_path_factory: Any, project: dict[str, Any], poetry: dict[str, Any], groups: Any
) -> None:
    data = _manifest(project, poetry, groups)
    assume(data)
    directory: Path = tmp_path_factory.getbasetemp()
    try:
        check_manifest(data, where="pkg/pyproject.toml")
        package = read_package(data, directory, "pkg")
    except MonolockError as exc:
        assert "pkg/pyproject.toml" in str(exc)
    else:
        assert isinstance(package, Package) and package.name


_LOCK_KEYS = st.sampled_from(
    [
        "name", "version", "source", "dependencies", "optional-dependencies",
        "dev-dependencies", "sdist", "wheels",
    ]
)  # fmt: skip


def _toml(data: dict[str, Any]) -> bytes:
    try:
        return tomlkit.dumps(data).encode("utf-8", "surrogatepass")
    except Exception:  # a value TOML cannot hold: not an input a file could contain
        assume(False)
        raise


@FUZZ
@given(
    st.integers(0, 3),
    st.none() | VALUES,
    st.lists(st.dictionaries(_LOCK_KEYS, VALUES, max_size=6), max_size=3),
)
def test_a_uv_lock_is_a_lock_or_a_lock_error(
    version: int, requires: Any, packages: list[dict[str, Any]]
) -> None:
    data: dict[str, Any] = {"version": version, "package": packages}
    if requires is not None:
        data["requires-python"] = requires
    try:
        lock = parse_lock(_toml(data), Path("uv.lock"))
    except MonolockError as exc:
        assert str(exc).startswith("uv.lock")
    else:
        assert len(lock.packages) == len(packages)


@FUZZ
@given(
    st.dictionaries(st.sampled_from(["lock-version", "python-versions", "content-hash"]), VALUES),
    st.lists(
        st.dictionaries(
            st.sampled_from(["name", "version", "dependencies", "extras", "files", "source"]),
            VALUES,
            max_size=6,
        ),
        max_size=3,
    ),
)
def test_a_poetry_lock_is_a_lock_or_a_lock_error(
    metadata: dict[str, Any], packages: list[dict[str, Any]]
) -> None:
    member = Package(name="app", display_name="app", version="1", path="app", dialect="poetry")
    raw = _toml({"metadata": metadata, "package": packages})
    try:
        lock = parse_poetry_lock(raw, Path("poetry.lock"), member, where="app/poetry.lock")
    except MonolockError as exc:
        assert str(exc).startswith("app/poetry.lock")
    else:
        assert lock.members == ("app",)


# --- one value of a real workspace changed, then every reading command run ------------------


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a parsed TOML document a value sits at."""
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


def _replace(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        return {k: _replace(v, rest, value) if k == head else v for k, v in node.items()}
    return [_replace(v, rest, value) if i == head else v for i, v in enumerate(node)]


@settings(max_examples=120, deadline=None)
@given(st.sampled_from(["uv.lock", "pyproject.toml", CORE, API]), st.data())
def test_any_one_value_changed_is_an_answer_or_a_clear_error(
    tmp_path_factory: Any, file: str, data: st.DataObject
) -> None:
    import tomllib

    root = make(tmp_path_factory.mktemp("fuzz"), {})
    document = tomllib.loads((root / file).read_text())
    where = data.draw(st.sampled_from(_paths(document)), label="where")
    value = data.draw(VALUES, label="value")
    (root / file).write_bytes(_toml(_replace(document, where, value)))
    before = snapshot(root)
    for argv in (["list", "--format", "json"], ["graph"], ["export", "api"], ["why", "alpha"]):
        code, err = _run(["-C", str(root), *argv])
        assert code in (0, 1, 2), (argv, err)
        assert "internal error" not in err, (argv, where, value, err)
        if code == 2:
            assert err.startswith(("error:", "warning:")), err
    assert snapshot(root) == before


def _run(argv: list[str]) -> tuple[int, str]:
    import contextlib
    import io

    from monolock.cli.main import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            main(argv)
        except SystemExit as exc:
            return int(exc.code or 0), err.getvalue()
    return 0, err.getvalue()


# --- affected's shared walk against each member's own projection ------------------------

_MARKERS = (
    None,
    'sys_platform == "win32"',
    'sys_platform != "win32"',
    'python_full_version < "3.12"',
    'python_full_version >= "3.12"',
    'platform_machine == "arm64"',
)


@st.composite
def _locks(draw: st.DrawFn) -> Lock:
    """A random lock: members and third-party packages, edges anywhere (cycles too), each
    under a marker, some asking for extras; packages with extras and dev groups."""
    from monolock.model import LockDep, LockedPackage, LockSource

    members = [f"m{i}" for i in range(draw(st.integers(1, 4)))]
    third = [f"t{i}" for i in range(draw(st.integers(1, 8)))]
    names = members + third
    extras = ("x", "y")

    def edges() -> tuple[LockDep, ...]:
        picked = draw(st.lists(st.sampled_from(names), max_size=4, unique=True))
        return tuple(
            LockDep(
                n,
                marker=draw(st.sampled_from(_MARKERS)),
                extras=tuple(draw(st.lists(st.sampled_from(extras), max_size=2, unique=True))),
            )
            for n in picked
        )

    packages = []
    for name in names:
        member = name in members
        packages.append(
            LockedPackage(
                name,
                None if member else "1.0",
                LockSource("virtual" if member else "registry", name if member else "pypi"),
                dependencies=edges(),
                optional={e: edges() for e in extras if draw(st.booleans())},
                groups={"dev": edges()} if member and draw(st.booleans()) else {},
            )
        )
    return Lock(Path("uv.lock"), "0" * 64, ">=3.11", tuple(members), tuple(packages))


@settings(max_examples=150, deadline=None)
@given(_locks(), st.data())
def test_the_shared_walk_says_what_each_projection_says(lock: Lock, data: st.DataObject) -> None:
    from monolock.projection import Reaches, project

    third = sorted({p.name for p in lock.packages if not p.source.is_local})
    targets = set(data.draw(st.lists(st.sampled_from(third), min_size=1, unique=True)))
    reaches = Reaches(lock, targets)
    assert reaches.exact
    for member in lock.members:
        root = lock.member(member)
        assert root is not None
        for extras, groups in (((), ()), (tuple(root.optional), tuple(root.groups))):
            expected = project(lock, member, extras=extras, groups=groups).held(targets)
            assert reaches.signature(member, extras=extras, groups=groups) == expected


@st.composite
def _workspaces(draw: st.DrawFn) -> Any:
    """Members depending on members at runtime, in extras and in dev groups, some asking
    for extras (their own too: `all = ["pkg[a]"]`)."""
    from monolock.model import Dependency, Source, Workspace

    names = [f"m{i}" for i in range(draw(st.integers(2, 7)))]
    extras = ("a", "b")
    packages = []
    for name in names:
        deps = []
        for target in draw(st.lists(st.sampled_from(names), max_size=4)):
            kind = draw(st.sampled_from(["runtime", "extra", "group"]))
            context = {"runtime": None, "extra": draw(st.sampled_from(extras)), "group": "dev"}
            asked = tuple(draw(st.lists(st.sampled_from(extras), max_size=2, unique=True)))
            deps.append(
                Dependency(
                    Requirement(target, extras=asked),
                    kind,  # type: ignore[arg-type]
                    context[kind],
                    Source("workspace"),
                )
            )
        packages.append(
            Package(
                name,
                name,
                "1",
                name,
                "pep621",
                dependencies=tuple(deps),
                extras=extras,
                groups=("dev",),
            )
        )
    return Workspace(Path("/ws"), "uv", tuple(packages))


@settings(max_examples=200, deadline=None)
@given(_workspaces())
def test_reverse_walk_agrees_with_each_members_own_closure(ws: Any) -> None:
    """`affected` walks backwards from a changed member once; each member's own forward
    closure must say the same: who reaches it, and who ships it."""
    from monolock.graph import Graph

    graph = Graph(ws)
    for target in ws.by_name:
        reaching = graph.reaching(target)
        for name in ws.by_name:
            if name == target:
                continue
            assert (name in reaching) == (target in graph.tested(name)), (name, target)
            ships = target in {n for n, _ in graph._walk([(name, "")])}
            assert (name in reaching and reaching[name][0]) == ships, (name, target)
