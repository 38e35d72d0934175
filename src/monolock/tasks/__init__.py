"""`monolock run`: tasks per member, planned, keyed, cached and run in parallel."""
