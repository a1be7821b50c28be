from tokbench.cli.app import entry

entry()
