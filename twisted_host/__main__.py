"""`python -m twisted_host` runs the `twistbridge` command."""

from twisted_host.cli import main

main()
