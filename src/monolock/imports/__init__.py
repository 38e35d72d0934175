"""Imports: what code imports, which distribution provides it, and the rules over both."""
