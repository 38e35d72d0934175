"""`monolock check`: boundaries and policy for every member, in one run.

Order of work: the lock and the map of what each locked distribution provides (cached
by the lock's digest), the import scan of every member's files (cached by content),
the import rules, the policy rules, and `uv lock --check` (cached by its inputs). Then
ignores from config and inline comments, and a deterministic order.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from monolock import __version__
from monolock.cachedir import settled
from monolock.errors import MonolockError, UsageError, known
from monolock.findings import Finding, Location, ignored
from monolock.findings_memo import Memo, pack, unpack
from monolock.fsutil import cache_root, cache_write
from monolock.imports.cache import ScanCache, Scans
from monolock.imports.sources import FileLists, SourceFile
from monolock.model import Lock, Workspace, normalize

_FORMAT = 6  # bump when findings for the same inputs may change


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]
    packages: tuple[str, ...]  # the members checked
    files: int  # files scanned
    parsed: int  # of which parsed in this run (the rest came from the cache)
    guessed: Mapping[str, str]  # distribution -> why its import names are a guess
    ignored: int  # findings switched off in [tool.monolock.check] (inline ones are not counted)
    warnings: tuple[str, ...] = ()
    prefix: str = ""  # the workspace's directory in its git repository ("" at the top)

    @property
    def ok(self) -> bool:
        return not self.findings


@dataclass(frozen=True)
class Options:
    package: str | None = None
    cache: bool = True
    lock_check: bool = True
    jobs: int | None = None


def _cache_dir(root: Path) -> Path:
    return cache_root() / "check" / hashlib.sha256(os.fsencode(root)).hexdigest()[:16]


class _LockFile:
    """The lock's bytes and digest now, its parsed form only if something needs it: a
    warm run with a clean tree never does. In a Poetry repository, every package's
    poetry.lock at once: what any of them holds is locked."""

    def __init__(self, raw: bytes, parse: Callable[[], Lock]) -> None:
        self.raw = raw
        self.digest = hashlib.sha256(self.raw).hexdigest()
        self._parse = parse
        self._parsed: Lock | None = None
        from monolock.merging.conflict import conflicted

        # a merge left it unresolved: the import rules go by the manifests alone, and
        # ML201 says to regenerate it
        self.conflicted = conflicted(raw)

    def parsed(self) -> Lock:
        if self._parsed is None:
            self._parsed = self._parse()
        return self._parsed


def _lock_file(workspace: Workspace) -> _LockFile | None:
    if workspace.kind != "uv":
        from monolock.poetry.lock import merged, present

        packages = [p for p in workspace.packages if present(workspace.root, p)]
        if not packages:
            return None
        raw = b"\0".join(
            p.path.encode() + b"\0" + (workspace.root / p.path / "poetry.lock").read_bytes()
            for p in packages
        )
        return _LockFile(raw, lambda: merged(workspace.root, packages))
    from monolock.lockfile import parse_lock
    from monolock.lockfile import present as has_lock

    if not has_lock(workspace.lock_path):
        return None
    path = workspace.lock_path
    raw = path.read_bytes()
    return _LockFile(raw, lambda: parse_lock(raw, path))


def _commands(workspace: Workspace) -> dict[str, tuple[str, ...]]:
    """Words of each member's app commands: a dependency run by name there is used."""
    out: dict[str, list[str]] = {}
    for app in workspace.apps:
        for text in (app.command, app.smoke):
            if not text:
                continue
            try:
                words = shlex.split(text)
            except ValueError:
                continue
            out.setdefault(app.package, []).extend(w.split(".")[0] for w in words)
    return {k: tuple(v) for k, v in out.items()}


def _inputs(workspace: Workspace, lock: _LockFile | None) -> str:
    """Everything but the code a check depends on: uv.lock, every manifest, the uv binary."""
    from monolock import uv

    digest = hashlib.sha256(lock.raw if lock is not None else b"no lock")
    binary = Path(uv.uv_binary())
    digest.update(f"{binary}\0{binary.stat().st_mtime_ns if binary.exists() else 0}\0".encode())
    poetry_locks = [workspace.root / p.path / "poetry.lock" for p in workspace.packages]
    for path in (
        [workspace.root / "pyproject.toml"]
        + [workspace.root / p.manifest for p in workspace.packages]
        + (poetry_locks if workspace.kind == "paths" else [])
    ):
        digest.update(path.read_bytes() if path.is_file() else b"")
        digest.update(b"\0")
    return digest.hexdigest()


def _lock_finding(
    workspace: Workspace, lock: _LockFile | None, inputs: str, cache_dir: Path | None
) -> list[Finding]:
    """ML201 from `uv lock --check`, remembered for the exact same inputs (in a Poetry
    repository: each package's poetry.lock, checked without Poetry)."""
    if workspace.kind != "uv":
        from monolock.poetry.fresh import findings

        return findings(workspace)
    if lock is None:
        return [
            Finding(
                "ML201",
                None,
                "uv.lock",
                "the workspace has no uv.lock",
                "run `monolock lock`",
                Location("uv.lock"),
            )
        ]
    if lock.conflicted:
        return [
            Finding(
                "ML201",
                None,
                "uv.lock",
                "conflict markers in uv.lock: a merge left it conflicted",
                "run `monolock lock`: it regenerates the lock from the merged manifests, "
                "keeping the versions both sides locked",
                Location("uv.lock"),
            )
        ]
    from monolock import uv

    slot = cache_dir / f"lock-{inputs[:32]}.json" if cache_dir else None
    fresh: bool | None = None
    unmet: list[str] = []
    if slot is not None and slot.is_file():
        try:
            known = json.loads(slot.read_text())
            fresh, unmet = bool(known["fresh"]), [str(line) for line in known["unmet"]]
        except (ValueError, KeyError, OSError, TypeError):
            fresh = None
    if fresh is None:
        uv.check_required_version(workspace.root)  # a clear error, not a skipped check
        try:
            fresh, _ = uv.lock_is_fresh(workspace.root)
        except MonolockError as exc:
            # a check that could not be made is no clean answer: a finding, with uv's why
            lines = [line.strip() for line in exc.message.splitlines() if line.strip()]
            cause = next((line for line in lines if line.startswith("error:")), lines[-1])
            return [
                Finding(
                    "ML201",
                    None,
                    "uv.lock",
                    f"could not check whether uv.lock is up to date ({cause})",
                    (exc.hint + "; " if exc.hint else "") + "or skip this with --no-lock-check",
                    Location("uv.lock"),
                )
            ]
        if fresh:
            from monolock.relock import unmet as find

            unmet = [str(u) for u in find(lock.raw)]
        if slot is not None:
            cache_write(slot, json.dumps({"fresh": fresh, "unmet": unmet}))
    if fresh and not unmet:
        return []
    from monolock.relock import excluded

    return [
        Finding(
            "ML201",
            None,
            "uv.lock",
            excluded(unmet)
            if unmet
            else "uv.lock is out of date: a manifest changed since it was locked",
            "run `monolock lock` and commit uv.lock",
            Location("uv.lock"),
        )
    ]


# a name as a manifest declares it: quoted at the start of a requirement, or a table key
_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]*"
_DECLARED = re.compile(rf"""["']({_NAME})\s*(?=[\[<>=!~;@ "'])|^\s*({_NAME})\s*=""")
_PYTHON_KEY = re.compile(r"^\s*(requires-python|python)\s*=")


def _declared_lines(text: str) -> dict[str, int]:
    """Normalised name -> the first line declaring it; "(python)" for the Python range.
    One pass over the file, however many findings point into it."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if "(python)" not in lines and _PYTHON_KEY.search(line):
            lines["(python)"] = number
        for quoted, key in _DECLARED.findall(line):
            lines.setdefault(normalize(quoted or key), number)
    return lines


def _with_lines(root: Path, findings: list[Finding]) -> list[Finding]:
    """Manifest findings point at the line that declares their subject, where one does."""
    index: dict[str, dict[str, int]] = {}
    out: list[Finding] = []
    for finding in findings:
        where = finding.location
        if where.line is not None or not where.path.endswith("pyproject.toml"):
            out.append(finding)
            continue
        if where.path not in index:
            try:
                index[where.path] = _declared_lines((root / where.path).read_text("utf-8"))
            except (OSError, ValueError):
                index[where.path] = {}
        subject = "(python)" if finding.code == "ML202" else normalize(finding.subject)
        line = index[where.path].get(subject)
        out.append(replace(finding, location=Location(where.path, line)))
    return out


def check(
    workspace: Workspace,
    options: Options = Options(),
    progress: Callable[[str], None] | None = None,
) -> Report:
    selected = [p.name for p in workspace.packages]
    if options.package is not None:
        target = workspace.get(options.package)
        if target is None:
            raise UsageError(
                f"--package {options.package}: no member is called that",
                hint=known(options.package, selected),
            )
        selected = [target.name]
    cache_dir = _cache_dir(workspace.root) if options.cache else None
    lock = _lock_file(workspace)
    lists = FileLists(cache_dir / "files.marshal" if cache_dir is not None else None)
    files: dict[str, list[SourceFile]] = {
        name: lists.files(workspace.root, workspace.by_name[name]) for name in selected
    }
    lists.save(set(workspace.by_name))
    every = [f for fs in files.values() for f in fs]
    from monolock import git

    where = git.prefix(workspace.root)
    inputs = _inputs(workspace, lock)
    # a member's findings also read every member's layout: who ships which module
    layouts = sorted((p.name, p.import_names) for p in workspace.packages)
    slot = cache_dir / "report.marshal" if cache_dir is not None else None
    # nothing changed since the last report, by size and mtime (what the scan cache
    # trusts too): answered without loading a single scan
    asked = repr((_FORMAT, __version__, options.package, options.lock_check, inputs)).encode()
    stats = _stats(workspace.root, every)
    quick = hashlib.sha256(asked + repr(layouts).encode() + stats.digest).hexdigest()
    previous = _load_report(slot, quick, field="quick")
    if previous is not None:
        return replace(previous, files=len(every), parsed=0, prefix=where)
    scan_cache = ScanCache(cache_dir / "scan.marshal" if cache_dir else None)
    scans = scan_cache.scan(workspace.root, every, options.jobs, known=stats.found)
    keep = scan_cache.keys(every) if options.package is None else set(scan_cache.entries)
    scan_cache.save(keep)
    parsed = scans.parsed
    if progress is not None:
        progress(f"scanned {len(every)} files in {len(selected)} members ({parsed} parsed)")

    # same code, same manifests, same lock, same options: the same answer as last time
    prints = {name: scan_cache.fingerprint(fs) for name, fs in files.items()}
    key = hashlib.sha256(asked + b"".join(prints[n] for n in sorted(prints))).hexdigest()
    previous = _load_report(slot, key)
    if previous is not None:
        _save_report(slot, key, quick, previous)
        return replace(previous, files=len(every), parsed=parsed, prefix=where)
    base = repr((_FORMAT, __version__, inputs, layouts)).encode()
    keys = {name: hashlib.sha256(base + name.encode() + prints[name]).hexdigest() for name in files}
    scanned = _Scanned(files, scans, keys)
    report = _check(workspace, options, selected, scanned, lock, inputs, cache_dir)
    if not report.guessed and not report.warnings:
        _save_report(slot, key, quick, report)
    return replace(report, prefix=where)


@dataclass(frozen=True)
class _Stats:
    digest: bytes  # every file's path, size and mtime ("-" for one that is gone)
    found: dict[str, tuple[int, int]]  # path -> (size, mtime), for the scan cache


def _stats(root: Path, files: list[SourceFile]) -> _Stats:
    """Every file's size and mtime, each asked once: the quick key and the scan cache
    share them."""
    base = f"{root}/"
    lines = []
    found: dict[str, tuple[int, int]] = {}
    latest = 0
    for f in files:
        try:
            stat = os.stat(base + f.path)
            lines.append(f"{f.path}\0{stat.st_size}\0{stat.st_mtime_ns}\0")
            found[f.path] = (stat.st_size, stat.st_mtime_ns)
            latest = max(latest, stat.st_mtime_ns)
        except OSError:
            lines.append(f"{f.path}\0-\0")
    if not settled(latest):
        # a file written in the last two seconds could change again in the same clock
        # tick with the same size and mtime: no quick answer for this state
        lines.append(os.urandom(16).hex())
    text = "".join(lines).encode("utf-8", "surrogateescape")
    return _Stats(hashlib.blake2b(text, digest_size=16).digest(), found)


def _save_report(slot: Path | None, key: str, quick: str, report: Report) -> None:
    if slot is not None:
        cache_write(slot, marshal.dumps({"key": key, "quick": quick, "report": _pack(report)}))


def _pack(report: Report) -> Any:
    return (pack(report.findings), report.packages, report.ignored)


def _load_report(slot: Path | None, key: str, *, field: str = "key") -> Report | None:
    if slot is None or not slot.is_file():
        return None
    try:
        data = marshal.loads(slot.read_bytes())
        if data.get(field) != key:
            return None
        findings, packages, dropped = data["report"]
        return Report(
            findings=unpack(findings),
            packages=tuple(packages),
            files=0,
            parsed=0,
            guessed={},
            ignored=dropped,
        )
    except (ValueError, EOFError, TypeError, KeyError, AttributeError):
        return None


def _guesses(guessed: Mapping[str, str]) -> str:
    """One line per reason: the count, then a few of the names."""
    by_reason: dict[str, list[str]] = {}
    for name, why in guessed.items():
        by_reason.setdefault(why, []).append(name)
    lines = [
        f"import names of {len(guessed)} distribution(s) are guessed from their names "
        "(map them under [tool.monolock.import-names] if a guess is wrong):"
    ]
    for why, names in sorted(by_reason.items(), key=lambda item: (-len(item[1]), item[0])):
        shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        lines.append(f"  {len(names)}: {why}: {shown}")
    return "\n".join(lines)


@dataclass(frozen=True)
class _Scanned:
    files: dict[str, list[SourceFile]]  # member -> its files
    scans: Scans
    keys: dict[str, str]  # member -> what its import findings depend on


def _imports(
    workspace: Workspace,
    options: Options,
    scanned: _Scanned,
    lock: _LockFile | None,
    cache_dir: Path | None,
) -> tuple[list[Finding], dict[str, str]]:
    """Import findings of every member: remembered ones where nothing they read changed,
    the rules run for the rest. Also the guessed import names, when the map was needed."""
    memo = Memo(cache_dir / "members.marshal" if cache_dir is not None else None)
    found: list[Finding] = []
    todo: dict[str, list[SourceFile]] = {}
    for name, files in scanned.files.items():
        known = memo.get(name, scanned.keys[name])
        if known is None:
            todo[name] = files
        else:
            found += known
    if not todo:
        return found, {}
    from monolock.imports.mapping import ModuleMap, declared_dist_map, read_dist_map
    from monolock.imports.rules import check_imports

    listings = cache_root() / "check" / "wheels" if options.cache else None
    dist_map = (
        read_dist_map(workspace, lock.digest, lock.parsed, cache_dir, listings)
        if lock is not None and not lock.conflicted
        else declared_dist_map(workspace)
    )
    members = {n: p.name for p in workspace.packages for n in p.import_names}
    modules = ModuleMap(members, dist_map.provides, workspace.import_names)
    fresh = check_imports(
        workspace,
        todo,
        scanned.scans,
        modules,
        lock.parsed if lock is not None and not lock.conflicted else None,
        root_groups=workspace.root_groups,
        commands=_commands(workspace),
    )
    found += fresh
    overridden = {normalize(name) for name in workspace.import_names}
    guessed = {n: why for n, why in dist_map.guessed.items() if n not in overridden}
    if not guessed:  # findings from guesses are not worth remembering
        for name in todo:
            memo.put(name, scanned.keys[name], [f for f in fresh if f.package == name])
        memo.save([*memo.entries, *todo] if options.package else scanned.files)
    return found, guessed


def _policy(workspace: Workspace, inputs: str, cache_dir: Path | None) -> list[Finding]:
    """The policy rules read the manifests and the lock alone: remembered by them."""
    from monolock.policy import policy

    return _remembered(cache_dir, "policy", inputs, lambda: policy(workspace))


def _remembered(
    cache_dir: Path | None, name: str, inputs: str, compute: Callable[[], list[Finding]]
) -> list[Finding]:
    """Findings that depend on the manifests and the lock alone (`inputs`): computed once
    for them, kept in `cache_dir/NAME.marshal`."""
    memo = Memo(cache_dir / f"{name}.marshal" if cache_dir is not None else None)
    known = memo.get(name, inputs)
    if known is not None:
        return list(known)
    found = compute()
    memo.put(name, inputs, found)
    memo.save([name])
    return found


def _licences(
    workspace: Workspace, lock: _LockFile | None, inputs: str, cache_dir: Path | None
) -> list[Finding]:
    """ML207, when the root has a licence policy: remembered by the manifests and the
    lock, which decide every wheel and so every licence."""
    if not (workspace.check.allow or workspace.check.deny) or lock is None or lock.conflicted:
        return []
    if workspace.kind != "uv":
        return []
    from monolock.supply.licences import findings

    return _remembered(cache_dir, "licences", inputs, lambda: findings(workspace, lock.parsed()))


def _check(
    workspace: Workspace,
    options: Options,
    selected: list[str],
    scanned: _Scanned,
    lock: _LockFile | None,
    inputs: str,
    cache_dir: Path | None,
) -> Report:
    found, guessed = _imports(workspace, options, scanned, lock, cache_dir)
    found += _policy(workspace, inputs, cache_dir)
    found += _licences(workspace, lock, inputs, cache_dir)
    warnings: list[str] = []
    if options.lock_check:
        found += _lock_finding(workspace, lock, inputs, cache_dir)
    if options.package is not None:
        one = selected[0]
        manifest = workspace.by_name[one].manifest
        found = [
            f
            for f in found
            if f.package == one
            or (f.package is None and manifest in {f.location.path, *(a.path for a in f.also)})
            or f.code == "ML201"
        ]
    kept: list[Finding] = []
    dropped = 0
    for finding in found:
        entries = workspace.check.ignore
        if finding.package is not None:
            entries += workspace.by_name[finding.package].check.ignore
        if ignored(finding, entries):
            dropped += 1
        else:
            kept.append(finding)
    kept = _with_lines(workspace.root, kept)
    if guessed:
        warnings.append(_guesses(guessed))
    return Report(
        findings=tuple(sorted(kept, key=Finding.sort_key)),
        packages=tuple(selected),
        files=sum(len(fs) for fs in scanned.files.values()),
        parsed=scanned.scans.parsed,
        guessed=guessed,
        ignored=dropped,
        warnings=tuple(warnings),
    )
