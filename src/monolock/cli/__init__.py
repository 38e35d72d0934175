"""The command line: parse options, make one core call, render, exit. Nothing else."""
