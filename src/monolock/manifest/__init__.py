"""Readers of project manifests: one per dialect, all producing `model.Package`."""

from monolock.manifest import schema
from monolock.manifest.reader import is_project, load_manifest, read_package
from monolock.manifest.toml import load_toml

__all__ = ["is_project", "load_manifest", "load_toml", "read_package", "schema"]
