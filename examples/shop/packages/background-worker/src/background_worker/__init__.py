"""Celery tasks of the shop."""
