"""`python -m masthead.cli`: the same command line as `masthead`."""

from masthead.cli import main

main()
