"""`monolock ci github`: a GitHub Actions workflow from `github.yml` (data, not code).

`plan` checks the lock and the policy, then computes `affected` once; `tasks` runs every
task of `[tool.monolock.tasks]` in each affected member, one matrix job per member;
`build` writes the build context of each app whose projection the change touched and
keeps it as an artifact. Placeholders are `@name@`: GitHub's own `${{ }}` stays as is.
"""

from __future__ import annotations

import re
from pathlib import Path

from monolock import __version__, git
from monolock.errors import UsageError
from monolock.model import Workspace

_TEMPLATE = Path(__file__).with_name("github.yml")
# what each store's client reads, by the scheme of `[tool.monolock.cache] url`: secrets
# of the same names, the region a repository variable
_CREDENTIALS = {
    "s3": {
        "AWS_ACCESS_KEY_ID": "secrets.AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY": "secrets.AWS_SECRET_ACCESS_KEY",
        "AWS_REGION": "vars.AWS_REGION || 'us-east-1'",
    },
    "gs": {"GOOGLE_SERVICE_ACCOUNT_KEY": "secrets.GOOGLE_SERVICE_ACCOUNT_KEY"},
    "az": {
        "AZURE_STORAGE_ACCOUNT_NAME": "vars.AZURE_STORAGE_ACCOUNT_NAME",
        "AZURE_STORAGE_ACCOUNT_KEY": "secrets.AZURE_STORAGE_ACCOUNT_KEY",
    },
}


def _credentials(root: Path) -> str:
    """The remote cache's credentials as the tasks job's environment (a fork's pull
    request gets no secrets: it then runs on the local cache)."""
    from monolock.tasks.remote import settings

    url = settings(root, environment=False).url or ""
    scheme = {"s3a": "s3", "azure": "az", "abfs": "az", "abfss": "az"}.get(
        url.partition(":")[0], url.partition(":")[0]
    )
    found = _CREDENTIALS.get(scheme, {})
    return "\n".join(f"      {name}: ${{{{ {value} }}}}" for name, value in found.items())


def workflow(workspace: Workspace, *, branch: str = "main", python: str = "3.12") -> str:
    # each value lands in YAML and in a shell line: only plain ones pass
    if not re.fullmatch(r"[A-Za-z0-9._/-]+", branch):
        raise UsageError(f"--branch {branch!r}: a plain branch name, please")
    if not re.fullmatch(r"3\.[0-9]{1,2}", python):
        raise UsageError(f"--python {python!r}: a Python version such as 3.12")
    directory = git.prefix(workspace.root).rstrip("/") or "."
    tasks = [t.name for t in workspace.tasks]
    steps = (
        "".join(
            f'      - run: monolock run {task} -p "${{{{ matrix.member }}}}"\n' for task in tasks
        )
        or '      - run: echo "no [tool.monolock.tasks] to run"\n'
    )
    values = {
        "branch": branch,
        "directory": directory,
        "python": python,
        "version": __version__,
        "tasks": steps.rstrip("\n"),
        "credentials": _credentials(workspace.root),
    }
    text = _TEMPLATE.read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    return text.replace("\n\n", "\n")  # a placeholder with nothing to hold
