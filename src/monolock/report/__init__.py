"""Renderers: data in, text out. Nothing here reads files or runs anything."""
