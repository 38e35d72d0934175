"""What a Python file imports, and in which circumstances.

Each import is classified: at module level or inside a function, under
`if TYPE_CHECKING:` (typing only); inside a `try` that handles ImportError, a
`with contextlib.suppress(ImportError):`, or an `if` that asks `find_spec` itself or
through a function of the module that does (optional); or through
`importlib.import_module("literal")` (dynamic). Relative imports are resolved
against the file's own module name.

Parsing is the expensive part, so a file is parsed only up to the last place the word
`import` occurs: the cut is made at the start of a top-level statement, which keeps the
prefix valid Python with the same tree for what it holds. A cut in an odd place (inside
a string or brackets) is a syntax error, and then the whole file is parsed.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

# an import statement, a dynamic import, or prose that mentions the word: all are
# candidates, the parser decides
_IMPORT_WORD = re.compile(rb"\bimport\b|import_module|__import__")
# where a prefix may end: a top-level statement that does not continue the one before
_TOP_STATEMENT = re.compile(rb"^(?!(?:else|elif|except|finally)\b)[A-Za-z_@]", re.M)
_DYNAMIC = re.compile(rb"import_module|__import__")
_IGNORE = re.compile(rb"#\s*monolock:\s*ignore(?:\[([A-Za-z0-9_, -]*)\])?")
_OPTIONAL_ERRORS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}


@dataclass(frozen=True)
class Import:
    """One imported name. `module` is absolute; for `from X import a, b` it is `X` and
    `names` holds `a, b` (each may itself be a submodule of a namespace package)."""

    module: str
    line: int
    names: tuple[str, ...] = ()
    function: bool = False  # inside a function body: runs only when called
    typing: bool = False  # under `if TYPE_CHECKING:`
    optional: bool = False  # inside `try: ... except ImportError` or `suppress(ImportError)`
    dynamic: bool = False  # importlib.import_module("...") / __import__("...")

    def candidates(self) -> tuple[str, ...]:
        """The dotted names this import may load, most specific first per name."""
        if not self.names or self.names == ("*",):
            return (self.module,)
        return tuple(f"{self.module}.{n}" for n in self.names)


@dataclass(frozen=True)
class FileScan:
    imports: tuple[Import, ...] = ()
    ignores: tuple[tuple[int, tuple[str, ...]], ...] = ()  # line -> codes (empty: all)
    error: str | None = None  # "line N: message" when the file is not valid Python


@dataclass(frozen=True)
class _Context:
    function: bool = False
    typing: bool = False
    optional: bool = False


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _errors(node: ast.expr | None) -> list[str]:
    """The exception names an `except` clause or a `suppress(...)` argument names."""
    if node is None:
        return ["BaseException"]  # a bare except
    if isinstance(node, ast.Tuple):
        return [n for elt in node.elts for n in _errors(elt)]
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        return [node.attr]
    return []


def _handles_import_error(handlers: list[ast.ExceptHandler]) -> bool:
    return any(n in _OPTIONAL_ERRORS for h in handlers for n in _errors(h.type))


def _suppresses_import_error(items: list[ast.withitem]) -> bool:
    """`with suppress(ImportError):` / `with contextlib.suppress(ModuleNotFoundError, ...)`."""
    return any(
        _called(call) == "suppress"
        and any(n in _OPTIONAL_ERRORS for a in call.args for n in _errors(a))
        for call in (item.context_expr for item in items)
        if isinstance(call, ast.Call)
    )


def _package_of(module: str | None, is_init: bool) -> list[str] | None:
    if module is None:
        return None
    parts = module.split(".")
    return parts if is_init else parts[:-1]


def _probes(tree: ast.Module) -> frozenset[str]:
    """Functions and names of the module that ask whether a module is there
    (`find_spec`, `sys.modules`): a test that calls or reads one guards what it imports
    (`if _has_numpy(): import numpy`, `IN_COLAB = "google.colab" in sys.modules`)."""
    found = {"find_spec"}
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names = [node.name]
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        if names and (
            any(_called(sub) == "find_spec" for sub in ast.walk(node))
            or (value is not None and _in_sys_modules(value))
        ):
            found.update(names)
    return frozenset(found)


def _in_sys_modules(test: ast.expr) -> bool:
    """`if "trio" in sys.modules:` imports only what is already loaded."""
    return any(
        isinstance(n, ast.Compare)
        and any(isinstance(op, ast.In | ast.NotIn) for op in n.ops)
        and any(isinstance(c, ast.Attribute) and c.attr == "modules" for c in n.comparators)
        for n in ast.walk(test)
    )


def _called(node: ast.AST) -> str | None:
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


class _Collector:
    def __init__(
        self,
        module: str | None,
        is_init: bool,
        dynamic: bool,
        probes: frozenset[str] = frozenset(),
        sys_modules: bool = False,
    ) -> None:
        self.package = _package_of(module, is_init)
        self.dynamic = dynamic
        self.probes = probes
        self.sys_modules = sys_modules  # the file reads sys.modules at all
        self.found: list[Import] = []

    def _probed(self, test: ast.expr) -> bool:
        if self.probes and any(
            _called(n) in self.probes or (isinstance(n, ast.Name) and n.id in self.probes)
            for n in ast.walk(test)
        ):
            return True
        return self.sys_modules and _in_sys_modules(test)

    def _absolute(self, node: ast.ImportFrom) -> str | None:
        if not node.level:
            return node.module
        if self.package is None or node.level - 1 > len(self.package):
            return None  # relative to a file that is not part of a package: local code
        base = self.package[: len(self.package) - (node.level - 1)]
        if not base:
            return None
        return ".".join(base + ([node.module] if node.module else []))

    def _add(
        self,
        module: str,
        line: int,
        ctx: _Context,
        names: tuple[str, ...] = (),
        dynamic: bool = False,
    ) -> None:
        self.found.append(
            Import(module, line, names, ctx.function, ctx.typing, ctx.optional, dynamic)
        )

    def _calls(self, node: ast.AST, ctx: _Context) -> None:
        for sub in ast.walk(node):
            if not isinstance(sub, ast.Call) or not sub.args:
                continue
            name = _called(sub)
            arg = sub.args[0]
            if (
                name in ("import_module", "__import__")
                and isinstance(arg, ast.Constant)
                and isinstance(arg.value, str)
                and all(part.isidentifier() for part in arg.value.split("."))
            ):
                self._add(arg.value, sub.lineno, ctx, dynamic=True)

    def body(self, statements: list[ast.stmt], ctx: _Context) -> None:
        for node in statements:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    self._add(alias.name, node.lineno, ctx)
                continue
            if isinstance(node, ast.ImportFrom):
                module = self._absolute(node)
                if module is not None:
                    names = tuple(a.name for a in node.names)
                    self._add(module, node.lineno, ctx, names=names)
                continue
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                inner = _Context(True, ctx.typing, ctx.optional)
                if self.dynamic:
                    for deco in node.decorator_list:
                        self._calls(deco, ctx)
                self.body(node.body, inner)
                continue
            if isinstance(node, ast.If):
                if self.dynamic:
                    self._calls(node.test, ctx)
                typing = _is_type_checking(node.test)
                optional = ctx.optional or self._probed(node.test)
                self.body(node.body, _Context(ctx.function, ctx.typing or typing, optional))
                self.body(node.orelse, ctx)
                continue
            if isinstance(node, ast.With | ast.AsyncWith) and _suppresses_import_error(node.items):
                self.body(node.body, _Context(ctx.function, ctx.typing, True))
                continue
            if isinstance(node, ast.Try | ast.TryStar):
                optional = _handles_import_error(node.handlers)
                self.body(node.body, _Context(ctx.function, ctx.typing, ctx.optional or optional))
                for handler in node.handlers:
                    self.body(handler.body, ctx)
                self.body(node.orelse, ctx)
                self.body(node.finalbody, ctx)
                continue
            compound = False
            for field in ("body", "orelse", "finalbody"):
                inner_body = getattr(node, field, None)
                if (
                    isinstance(inner_body, list)
                    and inner_body
                    and isinstance(inner_body[0], ast.stmt)
                ):
                    compound = True
                    self.body(inner_body, ctx)
            if isinstance(node, ast.Match):
                for case in node.cases:
                    self.body(case.body, ctx)
                compound = True
            if self.dynamic:
                if compound:
                    for field, value in ast.iter_fields(node):
                        if field not in ("body", "orelse", "finalbody", "cases") and isinstance(
                            value, ast.AST
                        ):
                            self._calls(value, ctx)
                else:
                    self._calls(node, ctx)


def _ignores(source: bytes) -> tuple[tuple[int, tuple[str, ...]], ...]:
    if b"monolock" not in source:
        return ()
    out: list[tuple[int, tuple[str, ...]]] = []
    for match in _IGNORE.finditer(source):
        line = source.count(b"\n", 0, match.start()) + 1
        codes = match.group(1)
        names = (
            tuple(c.strip().upper() for c in codes.decode().split(",") if c.strip())
            if (codes)
            else ()
        )
        out.append((line, names))
    return tuple(out)


def _prefix(source: bytes) -> bytes | None:
    """The source up to the first top-level statement after the last mention of
    `import`: b"" when there is none, None when there is nothing to cut."""
    end = max((m.end() for m in _IMPORT_WORD.finditer(source)), default=-1)
    if end < 0:
        return b""
    end_of_line = source.find(b"\n", end)
    cut = _TOP_STATEMENT.search(source, end_of_line + 1) if end_of_line >= 0 else None
    return source[: cut.start()] if cut is not None else None


_TOO_DEEP = "nested too deeply for Python's parser to read"


def scan_source(source: bytes, module: str | None = None, is_init: bool = False) -> FileScan:
    """Imports of one file; `module` is its dotted name (None for code outside a package,
    whose relative imports are local by definition)."""
    ignores = _ignores(source)
    prefix = _prefix(source)
    if prefix == b"":
        return FileScan((), ignores)
    tree: ast.Module | None = None
    if prefix is not None:
        try:
            tree = ast.parse(prefix)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            tree = None  # the cut fell inside a string or brackets: parse everything
    if tree is None:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", None) or 1
            return FileScan((), ignores, f"line {line}: {getattr(exc, 'msg', str(exc))}")
        except (RecursionError, MemoryError):
            return FileScan((), ignores, _TOO_DEEP)
    sys_modules = b"sys.modules" in source
    probes = _probes(tree) if sys_modules or b"find_spec" in source else frozenset()
    collector = _Collector(module, is_init, bool(_DYNAMIC.search(source)), probes, sys_modules)
    try:
        collector.body(tree.body, _Context())
    except RecursionError:
        return FileScan((), ignores, _TOO_DEEP)
    found = sorted(set(collector.found), key=lambda i: (i.line, i.module, i.names))
    return FileScan(tuple(found), ignores)
