"""`python -m api` runs the `kb` command."""

from api.cli import main

main()
