"""The import scanner: how each import is classified, and that parsing only a prefix of
a file finds exactly what parsing all of it finds."""

from __future__ import annotations

import ast
from pathlib import Path

from monolock.imports import scan
from monolock.imports.listing import provided
from monolock.imports.mapping import ModuleMap
from monolock.imports.scan import Import, scan_source

SOURCE = b'''"""Docs that mention import os in prose."""
from __future__ import annotations
import json, os.path as p
from typing import TYPE_CHECKING
from . import sibling
from ..top import thing
if TYPE_CHECKING:
    from yaml import Loader
try:
    import ujson
except (ImportError, AttributeError):
    ujson = None


class K:
    import csv


def f():
    import importlib
    importlib.import_module("plugins.x")
    return __import__("dyn")

x = """
import not_code
"""
'''


def test_imports_are_classified_and_relative_ones_resolved() -> None:
    found = scan_source(SOURCE, "pkg.sub.mod").imports
    by_module = {i.module: i for i in found}
    assert set(by_module) == {
        "__future__",
        "json",
        "os.path",
        "typing",
        "pkg.sub",
        "pkg.top",
        "yaml",
        "ujson",
        "csv",
        "importlib",
        "plugins.x",
        "dyn",
    }
    assert by_module["pkg.sub"].names == ("sibling",)
    assert by_module["yaml"].typing and not by_module["yaml"].optional
    assert by_module["ujson"].optional and not by_module["ujson"].function
    assert not by_module["csv"].function  # a class body runs at import time
    assert by_module["importlib"].function
    assert by_module["plugins.x"] == Import("plugins.x", 21, (), True, False, False, True)
    assert by_module["dyn"].dynamic


def test_relative_imports_outside_a_package_are_local() -> None:
    assert [i.module for i in scan_source(b"from . import helpers\nimport os\n").imports] == ["os"]


def test_inline_ignores_and_syntax_errors() -> None:
    result = scan_source(
        b"import a  # monolock: ignore\nimport b  # monolock: ignore[ML101, ml105]\n"
    )
    assert result.ignores == ((1, ()), (2, ("ML101", "ML105")))
    broken = scan_source(b"import a\n\ndef f(:\n    import b\n")
    assert broken.error is not None and broken.error.startswith("line 3")


def test_prefix_parse_equals_full_parse_on_real_files() -> None:
    root = Path(__file__).resolve().parent.parent
    files = sorted((root / "src").rglob("*.py")) + sorted((root / "tests").rglob("*.py"))
    assert len(files) > 40
    for path in files:
        source = path.read_bytes()
        collector = scan._Collector("m.n", False, bool(scan._DYNAMIC.search(source)))
        collector.body(ast.parse(source).body, scan._Context())
        full = tuple(sorted(set(collector.found), key=lambda i: (i.line, i.module, i.names)))
        assert scan_source(source, "m.n").imports == full, path


def test_wheel_listing_maps_below_namespaces() -> None:
    names = provided(
        [
            "opentelemetry/sdk/__init__.py",
            "opentelemetry/sdk/trace/__init__.py",
            "yaml/__init__.py",
            "yaml/_yaml.cpython-311-x86_64-linux-gnu.so",
            "_cffi_backend.cpython-311-x86_64-linux-gnu.so",
            "six.py",
            "pkg-1.0.dist-info/RECORD",
            "pkg-1.0.data/purelib/extra/__init__.py",
            "pkg-stubs/__init__.pyi",
        ]
    )
    assert names == ["_cffi_backend", "extra", "opentelemetry.sdk", "six", "yaml"]
    modules = ModuleMap(
        {"opentelemetry.api": "otel-api"},
        {"opentelemetry-sdk": ("opentelemetry.sdk",), "pyyaml": ("yaml",)},
    )
    assert modules.owner("opentelemetry.sdk.trace").names == ("opentelemetry-sdk",)
    assert modules.owner("opentelemetry.api.x").names == ("otel-api",)
    assert modules.owner("yaml.constructor").names == ("pyyaml",)
    assert modules.owner("json").kind == "stdlib"
    unknown = modules.owner("opentelemetry.exporter.zipkin")
    assert (unknown.kind, unknown.key) == ("unknown", "opentelemetry.exporter")


def test_only_dotted_identifiers_are_dynamic_imports() -> None:
    source = (
        b"import importlib\n"
        b"importlib.import_module('plugins.x')\n"
        b"importlib.import_module('evil\\nML102 forged finding')\n"
        b"__import__('a b')\n"
        b"importlib.import_module('')\n"
    )
    found = {i.module for i in scan_source(source, "m").imports}
    assert found == {"importlib", "plugins.x"}


def test_a_file_nested_beyond_the_parser_is_reported_not_a_crash() -> None:
    for opening, closing in ((b"(", b")"), (b"[", b"]"), (b"-", b"")):
        deep = b"x = " + opening * 200_000 + b"1" + closing * 200_000 + b"\nimport os\n"
        result = scan_source(deep, "m")
        assert result.imports == () and result.error, opening


def test_find_spec_guards_make_imports_optional() -> None:
    source = b"""\
import importlib.util
from importlib.util import find_spec

def _has_numpy() -> bool:
    return importlib.util.find_spec("numpy") is not None

if find_spec("yaml") is not None:
    import yaml
if _has_numpy():
    import numpy
if True:
    import requests

def vectors():
    if _has_numpy() and len([]) == 0:
        import numpy as np
        return np
"""
    found = {(i.module, i.line): i for i in scan_source(source).imports}
    assert found[("yaml", 8)].optional
    assert found[("numpy", 10)].optional
    assert found[("numpy", 16)].optional and found[("numpy", 16)].function
    assert not found[("requests", 12)].optional


def test_flags_and_loaded_modules_guard_imports_too() -> None:
    source = b"""\
import sys
from importlib.util import find_spec

HAS_ORJSON = find_spec("orjson") is not None
if HAS_ORJSON:
    import orjson
if "trio" in sys.modules:
    import trio
if len(sys.argv) > 1:
    import yaml
IN_COLAB = "google.colab" in sys.modules
if IN_COLAB:
    from google.colab import output
"""
    found = {i.module: i for i in scan_source(source).imports}
    assert found["orjson"].optional and found["trio"].optional
    assert found["google.colab"].optional
    assert not found["yaml"].optional
