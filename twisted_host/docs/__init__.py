"""The pages of the documentation site (docs/) that are generated rather than written:
which they are (pages.py), and the command-line reference (cli_reference.py). The
migration guide's text is the dashboard's (twisted_host/dashboard/docs.py)."""
