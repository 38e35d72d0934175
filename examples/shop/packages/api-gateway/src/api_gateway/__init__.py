"""The public REST API of the shop."""
