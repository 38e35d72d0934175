"""Running a plan: cached results replayed, the rest in parallel (dependencies first when
the task asks for it), each member's output captured whole.

A member is skipped, not failed, when its command's tool is not in its environment, when
pytest collects no tests (exit code 5), or when `python -m X` finds no module X.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from monolock.errors import MonolockError
from monolock.fsutil import on_path
from monolock.tasks import envs
from monolock.tasks.cache import Cache, Hit
from monolock.tasks.plan import Job, Plan, runs_pytest, tool
from monolock.tasks.results import Stored

Status = Literal["passed", "failed", "skipped"]
PYTEST_NO_TESTS = 5


@dataclass(frozen=True)
class Outcome:
    member: str
    status: Status
    seconds: float
    output: str = ""
    reason: str | None = None  # why skipped or failed
    cache: Literal["local", "remote"] | None = None  # replayed from there
    returncode: int | None = None

    @property
    def cached(self) -> bool:
        return self.cache is not None


def _bin(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin")


def child_env(venv: Path, root: Path, member: str, task: str) -> dict[str, str]:
    """The environment first on PATH; any other virtual environment (an activated one, the
    workspace's) taken off it, so a tool missing here is not found there."""
    others = {str(_bin(Path(v))) for v in (os.environ.get("VIRTUAL_ENV"), root / ".venv") if v}
    others.discard(str(_bin(venv)))
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p not in others]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME", "PYTHONPATH")}
    env.update(
        VIRTUAL_ENV=str(venv),
        PATH=os.pathsep.join([on_path(_bin(venv)), *path]),
        MONOLOCK_MEMBER=member,
        MONOLOCK_TASK=task,
    )
    return env


def _installed(executable: str, venv: Path, path: str) -> bool:
    """In the environment, or a program that is not a Python tool installed elsewhere: a
    script run by another interpreter (or a pyenv shim, which picks one) would not see the
    environment."""
    found = shutil.which(executable, path=path)
    if found is None:
        return False
    if Path(found).parent == _bin(venv):
        return True
    try:
        with open(found, "rb") as handle:
            head = handle.read(1024)
    except OSError:
        return True
    python = head.split(b"\n", 1)[0].find(b"python") >= 0 or b"pyenv" in head
    return not (head.startswith(b"#!") and python)


class _Processes:
    """The children running now, so an interrupt stops them all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: set[subprocess.Popen[bytes]] = set()
        self.stopping = False

    def start(self, *args: object, **kwargs: object) -> subprocess.Popen[bytes]:
        with self._lock:
            if self.stopping:
                raise InterruptedError
            proc: subprocess.Popen[bytes] = subprocess.Popen(*args, **kwargs)  # type: ignore[call-overload]
            self._live.add(proc)
            return proc

    def done(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._live.discard(proc)

    def stop(self) -> None:
        with self._lock:
            self.stopping = True
            for proc in self._live:
                _kill(proc)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _execute(job: Job, venv: Path, root: Path, task: str, procs: _Processes) -> Outcome:
    assert job.command is not None
    env = child_env(venv, root, job.member, task)
    executable, module = tool(job.command)
    if executable is not None and not _installed(executable, venv, env["PATH"]):
        return Outcome(job.member, "skipped", 0.0, reason=f"{executable} is not installed")
    start = time.monotonic()
    proc = procs.start(
        job.command,
        shell=True,
        cwd=root / job.path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: a timeout stops its children too
    )
    try:
        raw, _ = proc.communicate(timeout=job.timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        _kill(proc)
        raw, _ = proc.communicate()
        timed_out = True
    finally:
        procs.done(proc)
    seconds = time.monotonic() - start
    output = raw.decode("utf-8", "replace")
    code = proc.returncode
    if timed_out:
        reason = f"timed out after {job.timeout:g} s"
        return Outcome(job.member, "failed", seconds, output, reason, None, code)
    if code == 0:
        return Outcome(job.member, "passed", seconds, output, returncode=0)
    if code == PYTEST_NO_TESTS and runs_pytest(job.command):
        return Outcome(job.member, "skipped", seconds, output, "no tests collected", None, code)
    if module is not None and re.search(rf"No module named '?{re.escape(module)}'?$", output, re.M):
        reason = f"{module} is not installed"
        return Outcome(job.member, "skipped", seconds, output, reason, None, code)
    return Outcome(job.member, "failed", seconds, output, f"exit code {code}", None, code)


def _replay(job: Job, hit: Hit) -> Outcome:
    stored = hit.stored
    status: Status = "passed" if stored.status == "passed" else "skipped"
    code = 0 if status == "passed" else None
    seconds, output = stored.seconds, stored.output
    return Outcome(job.member, status, seconds, output, stored.reason, hit.where, code)


Listener = Callable[[str, Job, Outcome | None], None]  # ("start" | "done", job, outcome)


def run(
    plan: Plan,
    root: Path,
    *,
    jobs: int,
    cache: Cache | None,
    listener: Listener,
) -> list[Outcome]:
    """Every job of the plan, in order of completion; `listener` hears each start and end.
    New results reach the cache's remote once all have run (not after an interrupt)."""
    outcomes = _run(plan, root, jobs=jobs, cache=cache, listener=listener)
    if cache is not None:
        cache.flush()
    return outcomes


def _run(
    plan: Plan,
    root: Path,
    *,
    jobs: int,
    cache: Cache | None,
    listener: Listener,
) -> list[Outcome]:
    outcomes: dict[str, Outcome] = {}
    pending: list[Job] = []
    wanted = [j.key for j in plan.jobs if j.key and j.command is not None]
    hits = cache.lookup(wanted) if cache is not None else {}
    for job in plan.jobs:
        hit = hits.get(job.key) if job.key else None
        if job.command is None:
            outcomes[job.member] = Outcome(job.member, "skipped", 0.0, reason=job.skip)
        elif hit is not None:
            outcomes[job.member] = _replay(job, hit)
        else:
            pending.append(job)
            continue
        listener("done", job, outcomes[job.member])
    if not pending:
        return list(outcomes.values())

    shared = envs.shared(root) if plan.env == "shared" else None
    procs = _Processes()

    def work(job: Job) -> Outcome:
        try:
            if shared is not None:
                venv = shared
            elif plan.env == "poetry":
                venv = envs.poetry(root / job.path)
            else:
                venv = envs.isolated(root, job.member)
        except MonolockError as exc:
            return Outcome(job.member, "failed", 0.0, exc.message, "its environment failed")
        outcome = _execute(job, venv, root, plan.task, procs)
        # a pass, or pytest finding no tests, is a result of the inputs; a missing tool is
        # checked again next time (it may be installed by then without the key changing)
        keep = outcome.status == "passed" or outcome.returncode == PYTEST_NO_TESTS
        if cache is not None and job.key and job.command and keep:
            cache.put(
                job.key,
                Stored(
                    job.member,
                    plan.task,
                    job.command,
                    outcome.status,
                    outcome.reason,
                    round(outcome.seconds, 3),
                    outcome.output,
                ),
            )
        return outcome

    running: dict[Future[Outcome], Job] = {}
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        try:
            while pending or running:
                for job in list(pending):
                    if len(running) >= jobs:
                        break
                    waiting = [d for d in job.after if d not in outcomes]
                    if waiting:
                        continue
                    pending.remove(job)
                    # `after` is transitive: the member that failed is always in it
                    broken = [d for d in job.after if outcomes[d].status == "failed"]
                    if broken:
                        outcome = Outcome(
                            job.member,
                            "skipped",
                            0.0,
                            reason=f"{', '.join(broken)} failed first",
                        )
                        outcomes[job.member] = outcome
                        listener("done", job, outcome)
                        continue
                    listener("start", job, None)
                    running[pool.submit(work, job)] = job
                if not running:
                    continue  # a skip above may release others
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    job = running.pop(future)
                    outcomes[job.member] = future.result()
                    listener("done", job, outcomes[job.member])
        except BaseException:
            procs.stop()
            raise
    return list(outcomes.values())
