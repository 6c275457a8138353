"""`python -m masthead`: the same command line as `masthead`."""

from masthead.cli import main

main()
