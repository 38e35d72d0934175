"""monolock: one lockfile, many lean containers."""

__version__ = "0.1.0"
