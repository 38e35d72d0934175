import pytest
from packaging.specifiers import SpecifierSet

from monolock.manifest.constraint import ConstraintError, python_marker, to_specifier


@pytest.mark.parametrize(
    ("poetry", "pep440"),
    [
        ("^1.2.3", ">=1.2.3,<2.0.0"),
        ("^1.2", ">=1.2,<2.0"),
        ("^1", ">=1,<2"),
        # Poetry's 0.x rules: the first non-zero component is the breaking one
        ("^0.2.3", ">=0.2.3,<0.3.0"),
        ("^0.0.3", ">=0.0.3,<0.0.4"),
        ("^0.0", ">=0.0,<0.1"),
        ("^0", ">=0,<1"),
        ("~1.2.3", ">=1.2.3,<1.3.0"),
        ("~1.2", ">=1.2,<1.3"),
        ("~1", ">=1,<2"),
        ("~=1.2", "~=1.2"),
        ("~=1", ">=1,<2"),
        ("1.2.*", "==1.2.*"),
        ("*", ""),
        ("", ""),
        ("1.2.3", "==1.2.3"),
        ("=1.2.3", "==1.2.3"),
        (">=1.2, <2.0", ">=1.2,<2.0"),
        (">= 1.2 < 2.0", ">=1.2,<2.0"),
        ("!=1.5", "!=1.5"),
        ("^1.0 || ^2.0", ">=1.0,<3.0"),
        (">=1,<2 || >=2,<3", ">=1,<3"),
        ("<1 || >=1,<2 | >=2,<3", "<3"),
        (">=1.0,<1.5 || >=1.2", ">=1.0"),
        ("1.2.3 || >1.2.3,<1.3", ">=1.2.3,<1.3"),
    ],
)
def test_poetry_constraints_convert_as_poetry_reads_them(poetry: str, pep440: str) -> None:
    assert to_specifier(poetry) == pep440
    SpecifierSet(pep440)  # and the result is valid PEP 440


def test_caret_admits_exactly_what_poetry_admits() -> None:
    spec = SpecifierSet(to_specifier("^0.2.3"))
    assert "0.2.9" in spec
    assert "0.3.0" not in spec
    assert "0.2.2" not in spec


@pytest.mark.parametrize("gapped", ["^1.0 || ^3.0", "1.2 || 1.4", ">=1,<2 || >2,<3"])
def test_union_with_a_gap_is_refused_not_widened(gapped: str) -> None:
    with pytest.raises(ConstraintError, match="gap"):
        to_specifier(gapped)


def test_not_equal_inside_a_union_is_refused() -> None:
    with pytest.raises(ConstraintError, match="single range"):
        to_specifier("!=1.5 || >=2")


@pytest.mark.parametrize("bad", ["^banana", ">=", "1.2.*.4"])
def test_invalid_constraints_raise(bad: str) -> None:
    with pytest.raises(ConstraintError):
        to_specifier(bad)


@pytest.mark.parametrize(
    ("python", "marker"),
    [
        ("^3.8", 'python_version >= "3.8" and python_version < "4.0"'),
        ("~3.9", 'python_version >= "3.9" and python_version < "3.10"'),
        ("3.9.19", 'python_full_version == "3.9.19"'),
        (">=3.8.1,<4.0", 'python_full_version >= "3.8.1" and python_version < "4.0"'),
        ("*", None),
        (
            ">=2.7,<2.8 || >=3.4",
            '(python_version >= "2.7" and python_version < "2.8") or (python_version >= "3.4")',
        ),
    ],
)
def test_python_constraint_becomes_a_marker(python: str, marker: str | None) -> None:
    assert python_marker(python) == marker
