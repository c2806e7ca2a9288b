"""``python -m optlib``: the command line of :mod:`optlib.cli`."""
import sys

from .cli import main

if __name__ == "__main__":          # not when a tool (pytest's doctests) imports the module
    sys.exit(main())
