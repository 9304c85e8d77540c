"""docs/CLI.md, the command-line reference, says what `--help` says: every command,
its usage line, and every option with its default, read from the click commands."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.twisted_host.dashboard.test_docs import DOCS

# The installed script, so that --help's usage line names `twistbridge` as the page does.
TWISTBRIDGE = str(Path(sys.executable).parent / "twistbridge")

COMMANDS = ["compare", "docs", "load", "raw-echo", "raw-handler", "serve"]
REFERENCE = (DOCS / "CLI.md").read_text(encoding="utf-8")


def _help(*args: str) -> str:
    done = subprocess.run(
        [TWISTBRIDGE, *args, "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _listing(text: str) -> str:
    """The option lines of --help: below its first heading ("Options:", or the first
    of `serve`'s sections)."""
    heading = re.search(r"^[A-Z][A-Za-z ]*:$", text, flags=re.M)
    assert heading is not None, text
    return text[heading.end() :]


def _section(command: str) -> str:
    return REFERENCE.split(f"\n## twistbridge {command}\n", 1)[1].split("\n## ", 1)[0]


def test_every_command_is_listed_and_described() -> None:
    listed = re.findall(r"^  (\S+)\s", _help().split("Commands:", 1)[1], flags=re.M)
    assert listed == COMMANDS
    for command in COMMANDS:
        assert f"| [`twistbridge {command}`](#twistbridge-{command}) |" in REFERENCE


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_with_its_default(command: str) -> None:
    text = _help(command)
    section = _section(command)
    usage = text.splitlines()[0]
    assert f"```text\n{usage}\n```" in section
    # Option lines of --help: "  --port INTEGER RANGE  Port ...  [default: 8000; ...]"
    listing = _listing(text)
    options = re.findall(r"^  (-[^ ].*?)(?:  |\n)", listing, flags=re.M)
    options = [o for o in options if o not in ("-h, --help", "--help")]
    assert options
    for option in options:
        assert f"| `{option}` |" in section, option


def test_serve_defaults_are_those_of_help() -> None:
    # serve's every default is click's own "[default: ...]" (compare's help text writes
    # some of its own, for defaults computed at run time).
    # A default wrapped at one of its hyphens ("ws-per-" / "message-deflate") is
    # one word again.
    unwrapped = re.sub(r"-\n\s+", "-", _listing(_help("serve")))
    listing = " ".join(unwrapped.split())
    defaults = re.findall(r"\[default: ([^;\]]+)", listing)
    assert len(defaults) > 30
    for default in defaults:
        assert f"| `{default}` |" in _section("serve"), default
