"""`python -m mockai` runs the command-line interface."""

from mockai.cli import main

main()
