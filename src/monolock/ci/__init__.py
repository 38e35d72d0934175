"""CI that fans out: a workflow computed from the workspace, for a CI service."""
