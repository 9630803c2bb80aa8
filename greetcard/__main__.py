"""``python -m greetcard`` runs the command line."""

from .cli import main

main()
