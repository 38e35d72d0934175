from monolock.cli import run

run()
