"""Poetry monorepos as they are: a `poetry.lock` per package, linked by path dependencies.

`lock` reads a `poetry.lock` into the lock model the rest of monolock uses, `fresh` tells
which locks are stale, `drift` compares them, `relock` runs Poetry, and `migrate` turns
the repository into a uv workspace with one lock.
"""
