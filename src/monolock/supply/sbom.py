"""`monolock sbom APP`: a CycloneDX SBOM of exactly what the app installs.

Every component of the app's projection: third-party distributions with their purl,
version and every hash the lock records for them; the app's internal packages with their
version and the git commit they were built from. The dependency graph is the lock's
edges between them. Written by `cyclonedx-python-lib`, the CycloneDX project's own
model and serialiser (1.6, JSON). Licences are not read yet.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from monolock.model import Lock, LockedPackage, Workspace

if TYPE_CHECKING:
    from cyclonedx.model.component import Component

    from monolock.supply.licences import Licence


def sbom(workspace: Workspace, lock: Lock, app: str, commit: str | None, epoch: int) -> str:
    """The document: the same lock, app and commit give the same bytes (its serial number
    derived from them, its timestamp `epoch`, the commit's time as for the wheels)."""
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.output.json import JsonV1Dot6
    from packageurl import PackageURL

    from monolock.config import find_app
    from monolock.projection import project

    member = find_app(workspace, app).package
    projection = project(lock, member)
    components: dict[str, Component] = {}
    from monolock.supply.licences import read

    for item in projection.all:
        package = item.package
        found = None if package.source.is_local else read(package, lock.path.parent)
        components[_ref(package)] = _component(package, commit, found)
    top = lock.member(member)
    assert top is not None  # project() refuses a member the lock does not hold
    root = Component(
        type=ComponentType.APPLICATION,
        name=app,
        version=top.version,
        bom_ref=_ref(top),
        purl=PackageURL(type="pypi", name=top.name, version=top.version) if top.version else None,
    )
    components.pop(_ref(top), None)
    import datetime
    import uuid

    bom = Bom(
        serial_number=uuid.uuid5(uuid.NAMESPACE_URL, f"monolock:{lock.digest}/{app}/{commit}")
    )
    bom.metadata.timestamp = datetime.datetime.fromtimestamp(epoch, tz=datetime.UTC)
    bom.metadata.component = root
    for component in components.values():
        bom.components.add(component)
    everyone = {_ref(top): root, **components}
    by_name = {item.package.name: item.package for item in projection.all}
    for package in [top, *(item.package for item in projection.all)]:
        mine = everyone.get(_ref(package))
        if mine is None:
            continue
        needs = [
            everyone[_ref(by_name[dep.name])]
            for dep in package.dependencies
            if dep.name in by_name and _ref(by_name[dep.name]) in everyone
        ]
        bom.register_dependency(mine, needs)
    data = json.loads(JsonV1Dot6(bom).output_as_string())
    # what it is first: a reader (and `-o`, replacing only its own files) sees that at once
    first = {k: data.pop(k) for k in _FIRST if k in data}
    return json.dumps({**first, **data}, indent=2)


_FIRST = ("$schema", "bomFormat", "specVersion", "serialNumber", "version", "metadata")


def _ref(package: LockedPackage) -> str:
    return f"{package.name}=={package.version or ''}"


def _component(package: LockedPackage, commit: str | None, licence: Licence | None) -> Component:
    from cyclonedx.model import HashAlgorithm, HashType, Property
    from cyclonedx.model.component import Component, ComponentType
    from packageurl import PackageURL

    hashes = []
    for digest in package.hashes():
        algorithm, _, value = digest.partition(":")
        if algorithm == "sha256":
            hashes.append(HashType(alg=HashAlgorithm.SHA_256, content=value))
    properties = []
    if package.source.is_local and commit:
        properties.append(Property(name="monolock:git-commit", value=commit))
    return Component(
        type=ComponentType.LIBRARY,
        name=package.name,
        version=package.version,
        bom_ref=_ref(package),
        purl=PackageURL(type="pypi", name=package.name, version=package.version)
        if package.version
        else None,
        hashes=hashes,
        properties=properties,
        licenses=_licences(licence),
    )


def _licences(licence: Licence | None) -> list[Any]:
    """What the wheel says: an SPDX expression as one, anything else by name; nothing
    when nothing says."""
    from cyclonedx.model.license import DisjunctiveLicense, LicenseExpression

    if licence is None or licence.text == "unknown":
        return []
    if licence.spdx:
        return [LicenseExpression(licence.text)]
    return [DisjunctiveLicense(name=licence.text)]
