from tokbench.cli.app import main

main()
