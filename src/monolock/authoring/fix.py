"""`monolock check --fix`: what `check` finds that a manifest edit settles, settled in the
manifests' own format, then one lock.

- ML101, ML105: the missing requirement added (a locked distribution at a range that
  admits its locked version, a member with its workspace source), as `add` adds it;
- ML103: the unused requirement removed;
- ML104: a requirement moved from the dev groups to the runtime list;
- ML107: the missing requirement added to the member's `dev` group;
- ML204: the member's workspace source added;
- ML203: every dev pin aligned to the one most members use.

Every manifest is written as one change, and taken back if uv fails. What is left
(unknown imports, private imports, cycles, Python ranges) needs a person.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from monolock import journal, relock
from monolock.authoring.edit import (
    Edit,
    Place,
    add_pep621,
    add_source,
    remove_pep621,
    text_of,
    unified,
)
from monolock.check import Options, Report
from monolock.findings import Finding
from monolock.model import Lock, Package, Workspace

FIXABLE = ("ML101", "ML103", "ML104", "ML105", "ML107", "ML203", "ML204")


@dataclass(frozen=True)
class Fixed:
    said: tuple[str, ...]  # "core: added alpha>=1.0.0 to [project].dependencies (ML101)"
    diff: str
    outcome: relock.Outcome | None  # None: nothing changed, or only the diff was asked


def fix(
    workspace: Workspace,
    findings: Sequence[Finding],
    *,
    write: bool,
    uv_args: Sequence[str] = (),
) -> Fixed:
    from monolock.lockfile import present, read_lock

    root = workspace.root
    lock = read_lock(workspace.lock_path) if present(workspace.lock_path) else None
    edits = _Edits(root)
    for finding in sorted(findings, key=Finding.sort_key):
        if finding.code in FIXABLE and workspace.kind == "uv":
            _settle(workspace, lock, finding, edits)
    changes = edits.changes()
    if not write or not changes:
        return Fixed(tuple(edits.said), edits.diff(), None)
    journal.commit(root, "check --fix", [journal.Change(p, t.encode()) for p, t in changes])
    try:
        outcome = relock.relock(root, uv_args)
    except BaseException:
        old = [journal.Change(p, edits.before[p].encode()) for p, _ in changes]
        journal.commit(root, "check --fix (undone)", old)
        raise
    return Fixed(tuple(edits.said), edits.diff(), outcome)


class _Edits:
    """Each manifest's text as the fixes so far left it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.before: dict[str, str] = {}
        self.now: dict[str, str] = {}
        self.said: list[str] = []

    def apply(self, package: Package, code: str, edit: Callable[[str], Edit]) -> None:
        path = package.manifest
        if path not in self.now:
            self.before[path] = self.now[path] = text_of(self.root / path)
        done = edit(self.now[path])
        if done.changed:
            self.now[path] = done.text
            self.said.append(f"{package.name}: {done.said} ({code})")

    def changes(self) -> list[tuple[str, str]]:
        return [(p, t) for p, t in sorted(self.now.items()) if t != self.before[p]]

    def diff(self) -> str:
        return "".join(unified(p, self.before[p], t) for p, t in self.changes())


def _settle(workspace: Workspace, lock: Lock | None, finding: Finding, edits: _Edits) -> None:
    from monolock.authoring.requirements import requirement_for

    code, name = finding.code, finding.subject
    if finding.code == "ML203":
        _align(workspace, name, edits)
        return
    package = workspace.get(finding.package or "")
    if package is None or package.dialect != "pep621":
        return
    runtime: Place = ("runtime", None)
    if code in ("ML101", "ML105", "ML107"):
        wanted, internal, _ = requirement_for(workspace, lock, package, name)
        place: Place = ("group", "dev") if code == "ML107" else runtime
        add = partial(add_pep621, requirement=wanted, place=place, workspace=internal)
        edits.apply(package, code, partial(add, replace=False))
    elif code == "ML103":
        edits.apply(package, code, partial(remove_pep621, name=name, place=runtime))
    elif code == "ML104":
        declared = [d for d in package.dependencies if d.name == name and d.kind == "group"]
        for dep in declared:
            edits.apply(
                package, code, partial(remove_pep621, name=name, place=("group", dep.context))
            )
        if declared:
            wanted = declared[0].requirement.pep508()
            member = name in workspace.by_name
            edits.apply(
                package,
                code,
                partial(add_pep621, requirement=wanted, place=runtime, workspace=member),
            )
    elif code == "ML204":
        edits.apply(package, code, partial(add_source, name=name))


def _align(workspace: Workspace, name: str, edits: _Edits) -> None:
    """ML203: every group requirement on `name` pinned as most members pin it, its
    extras and marker kept."""
    from dataclasses import replace

    from packaging.specifiers import SpecifierSet

    from monolock.policy import UNPINNED, common_pin, pins

    by_spec = pins(workspace).get(name)
    if not by_spec:
        return
    common = common_pin(by_spec)
    spec = "" if common == UNPINNED else common
    for package in workspace.packages:
        for dep in package.dependencies:
            if dep.kind != "group" or dep.name != name or package.dialect != "pep621":
                continue
            if str(SpecifierSet(dep.requirement.specifier or "")) != spec:
                wanted = replace(dep.requirement, specifier=spec).pep508()
                place: Place = ("group", dep.context)
                edit = partial(add_pep621, requirement=wanted, place=place, workspace=False)
                edits.apply(package, "ML203", edit)


def check_and_fix(
    root: Path, options: Options, *, write: bool, progress: Callable[[str], None] | None = None
) -> tuple[Fixed, Report]:
    """`check`, its fixable findings settled (written, or only shown), and what is left:
    checked again on the manifests as they are now when anything was written."""
    from monolock.check import check
    from monolock.workspace import discover

    report = check(discover(root), options, progress)
    fixed = fix(discover(root), report.findings, write=write)
    if fixed.outcome is not None:
        report = check(discover(root), options, progress)
    return fixed, report
