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
        ("~=1.2", ">=1.2,<2.0"),
        ("~=1", ">=1,<2"),
        ("1.2.*", "==1.2.*"),
        ("*", ""),
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
        # a leading v, as Poetry reads it (and PEP 440's own normal forms)
        ("^v0.30.0", ">=0.30.0,<0.31.0"),
        ("~v1.2", ">=1.2,<1.3"),
        ("v1.2.3", "==1.2.3"),
        ("^1.0.0-rc.1", ">=1.0.0rc1,<2.0.0"),
        ("!=1.2.*", "!=1.2.*"),
        # a union that excludes one version everywhere else is that exclusion
        ("!=1.5 || >=2", "!=1.5"),
        (">1.0,<=2.0 || >2.0", ">1.0"),
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


@pytest.mark.parametrize("bad", ["^banana", ">=", "1.2.*.4", "", "^*", "^^1", "~="])
def test_what_poetry_refuses_is_refused(bad: str) -> None:
    from poetry.core.constraints.version import parse_constraint
    from poetry.core.constraints.version.exceptions import ParseConstraintError

    with pytest.raises(ParseConstraintError):
        parse_constraint(bad)  # Poetry's own parser refuses it
    with pytest.raises(ConstraintError, match="not a version constraint Poetry reads"):
        to_specifier(bad)


def test_a_range_that_admits_nothing_is_refused() -> None:
    with pytest.raises(ConstraintError, match="admits no version"):
        to_specifier(">=2,<1")


@pytest.mark.parametrize(
    ("python", "marker"),
    [
        ("^3.8", 'python_version >= "3.8" and python_version < "4.0"'),
        ("~3.9", 'python_version == "3.9"'),
        ("3.9.19", 'python_full_version == "3.9.19"'),
        (">=3.8.1,<4.0", 'python_full_version >= "3.8.1" and python_version < "4.0"'),
        ("*", None),
        (">=2.7,<2.8 || >=3.4", 'python_version == "2.7" or python_version >= "3.4"'),
    ],
)
def test_python_constraint_becomes_the_marker_poetry_writes(
    python: str, marker: str | None
) -> None:
    assert python_marker(python) == marker
