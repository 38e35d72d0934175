"""Changing the monorepo under its policy: requirements added and removed."""
