"""Readers of project manifests: one per dialect (`pep621`, `poetry`), all producing
`model.Package` through `reader`. Nothing is imported here, so that `layout`, which the
reader uses, can read TOML tables from `manifest.toml` without a cycle."""
