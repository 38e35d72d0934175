from monolock.markers import Space, conj_of, extend, minimise, render

DEV = "group-11-pydantic-ai-dev"
TASKS = "extra-16-pydantic-ai-slim-mcp-tasks"


def test_conflict_markers_are_decided_by_the_active_extras_and_groups() -> None:
    marker = (
        f"platform_python_implementation != 'PyPy' or (extra == '{TASKS}' and extra == '{DEV}')"
    )
    assert Space(">=3.10").resolve(marker) == "platform_python_implementation != 'PyPy'"
    assert Space(">=3.10", frozenset({TASKS, DEV})).resolve(marker) is True
    assert Space(">=3.10").resolve(f"extra == '{DEV}'") is False
    assert Space(">=3.10").resolve(f"extra == '{TASKS}' or extra != '{DEV}'") is True
    assert Space(">=3.10").resolve("sys_platform == 'linux'") == "sys_platform == 'linux'"


def test_markers_contradicting_requires_python_drop_and_implied_ones_vanish() -> None:
    space = Space(">=3.11")
    assert conj_of("python_full_version < '3.8'", space) is None
    assert conj_of("python_full_version >= '3.9'", space) == frozenset()
    assert conj_of("sys_platform == 'win32'", space) == frozenset({"sys_platform == 'win32'"})


def test_contradictory_paths_are_unreachable_and_absorption_simplifies() -> None:
    space = Space(">=3.11")
    win = frozenset({"sys_platform == 'win32'"})
    linux = frozenset({"sys_platform == 'linux'"})
    assert extend(frozenset({win}), linux, space) == frozenset()
    assert minimise([win, win | linux, frozenset()]) == frozenset({frozenset()})
    assert render(frozenset({win, linux})) == "sys_platform == 'linux' or sys_platform == 'win32'"
    assert render(frozenset({frozenset()})) is None
