"""`monolock sbom APP`: an SBOM of exactly what the app installs.

Every component of the app's projection: third-party distributions with their purl,
version, every hash the lock records and the licence their wheel declares; the app's
internal packages with their version and the git commit. The dependency graph is the
lock's edges between them. CycloneDX 1.6 is written by `cyclonedx-python-lib`, the
CycloneDX project's own model and serialiser; SPDX 2.3 as the JSON its schema defines.
The same lock, app and commit give the same bytes: identifiers derive from them, and
the time is the commit's (as for the wheels).
"""

from __future__ import annotations

import datetime
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from monolock import __version__
from monolock.model import Lock, LockedPackage, Workspace
from monolock.supply.licences import Licence

_FIRST = ("$schema", "bomFormat", "specVersion", "serialNumber", "version", "metadata")


@dataclass(frozen=True)
class Contents:
    app: str
    top: LockedPackage  # the app's member
    packages: tuple[LockedPackage, ...]  # everything it installs besides itself
    licences: dict[str, Licence]  # ref -> what the wheel declares (third-party only)
    edges: dict[str, tuple[str, ...]]  # ref -> the refs it depends on, among these
    commit: str | None
    serial: uuid.UUID
    time: datetime.datetime


def contents(
    workspace: Workspace, lock: Lock, app: str, commit: str | None, epoch: int
) -> Contents:
    from monolock.config import find_app
    from monolock.projection import project
    from monolock.supply.licences import read

    member = find_app(workspace, app).package
    projection = project(lock, member)
    top = lock.member(member)
    assert top is not None  # project() refuses a member the lock does not hold
    packages = tuple(p.package for p in projection.all if ref(p.package) != ref(top))
    by_name = {p.name: p for p in (top, *packages)}
    edges = {
        ref(p): tuple(ref(by_name[d.name]) for d in p.dependencies if d.name in by_name)
        for p in (top, *packages)
    }
    licences = {ref(p): read(p, lock.path.parent) for p in packages if not p.source.is_local}
    return Contents(
        app,
        top,
        packages,
        licences,
        edges,
        commit,
        uuid.uuid5(uuid.NAMESPACE_URL, f"monolock:{lock.digest}/{app}/{commit}"),
        datetime.datetime.fromtimestamp(epoch, tz=datetime.UTC),
    )


def ref(package: LockedPackage) -> str:
    return f"{package.name}=={package.version or ''}"


def _purl(package: LockedPackage) -> Any:
    from packageurl import PackageURL

    if package.version is None:
        return None
    return PackageURL(type="pypi", name=package.name, version=package.version)


def _sha256(package: LockedPackage) -> list[str]:
    return [h.partition(":")[2] for h in package.hashes() if h.startswith("sha256:")]


def cyclonedx(found: Contents) -> str:
    """CycloneDX 1.6 JSON, its identity first."""
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.output.json import JsonV1Dot6

    root = Component(
        type=ComponentType.APPLICATION,
        name=found.app,
        version=found.top.version,
        bom_ref=ref(found.top),
        purl=_purl(found.top),
    )
    components = {ref(p): _component(p, found) for p in found.packages}
    bom = Bom(serial_number=found.serial)
    bom.metadata.timestamp = found.time
    bom.metadata.component = root
    for component in components.values():
        bom.components.add(component)
    everyone = {ref(found.top): root, **components}
    for mine, needs in found.edges.items():
        bom.register_dependency(everyone[mine], [everyone[n] for n in needs])
    data = json.loads(JsonV1Dot6(bom).output_as_string())
    # what it is first: a reader (and `-o`, replacing only its own files) sees that at once
    first = {k: data.pop(k) for k in _FIRST if k in data}
    return json.dumps({**first, **data}, indent=2)


def _component(package: LockedPackage, found: Contents) -> Any:
    from cyclonedx.model import HashAlgorithm, HashType, Property
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.license import DisjunctiveLicense, LicenseExpression

    licence = found.licences.get(ref(package))
    licences: list[Any] = []
    if licence is not None and licence.text != "unknown":
        licences = (
            [LicenseExpression(licence.text)]
            if licence.spdx
            else [DisjunctiveLicense(name=licence.text)]
        )
    properties = []
    if package.source.is_local and found.commit:
        properties.append(Property(name="monolock:git-commit", value=found.commit))
    return Component(
        type=ComponentType.LIBRARY,
        name=package.name,
        version=package.version,
        bom_ref=ref(package),
        purl=_purl(package),
        hashes=[HashType(alg=HashAlgorithm.SHA_256, content=h) for h in _sha256(package)],
        properties=properties,
        licenses=licences,
    )


def spdx(found: Contents) -> str:
    """SPDX 2.3 JSON: a package per component, DEPENDS_ON relationships for the edges."""

    def spdx_id(key: str) -> str:
        return "SPDXRef-Package-" + re.sub(r"[^A-Za-z0-9.-]", "-", key)

    def entry(package: LockedPackage, primary: bool) -> dict[str, Any]:
        licence = found.licences.get(ref(package))
        item: dict[str, Any] = {
            "SPDXID": spdx_id(ref(package)),
            "name": found.app if primary else package.name,
            "versionInfo": package.version or "NOASSERTION",
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": False,
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": licence.text
            if licence is not None and licence.spdx
            else "NOASSERTION",
            "copyrightText": "NOASSERTION",
            "checksums": [{"algorithm": "SHA256", "checksumValue": h} for h in _sha256(package)],
        }
        purl = _purl(package)
        if purl is not None:
            item["externalRefs"] = [
                {
                    "referenceCategory": "PACKAGE-MANAGER",
                    "referenceType": "purl",
                    "referenceLocator": str(purl),
                }
            ]
        if primary:
            item["primaryPackagePurpose"] = "APPLICATION"
        if package.source.is_local and found.commit:
            item["sourceInfo"] = f"built from git commit {found.commit}"
        return item

    relationships = [
        {
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": spdx_id(ref(found.top)),
        }
    ]
    relationships += [
        {
            "spdxElementId": spdx_id(mine),
            "relationshipType": "DEPENDS_ON",
            "relatedSpdxElement": spdx_id(need),
        }
        for mine, needs in sorted(found.edges.items())
        for need in needs
    ]
    document = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": found.app,
        "documentNamespace": f"https://spdx.org/spdxdocs/monolock-{found.app}-{found.serial}",
        "creationInfo": {
            "created": found.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "creators": [f"Tool: monolock-{__version__}"],
        },
        "packages": [entry(found.top, True), *(entry(p, False) for p in found.packages)],
        "relationships": relationships,
    }
    return json.dumps(document, indent=2)
