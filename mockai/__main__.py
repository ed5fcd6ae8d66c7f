"""`python -m mockai` runs the command-line interface."""

from mockai.cli import main

if __name__ == "__main__":
    main()
