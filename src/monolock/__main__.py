from monolock.cli.main import main

main()
