#!/bin/sh
# Prints the first of the commands given (default: python3.13 python3.12 python3.11
# python3) that runs Python 3.11 or newer, for the Makefile to build .venv with. None:
# exits 1 naming each one found and what it is, so that the fix is plain.
# POSIX sh and builtins only: the test runs it with a PATH of its own.
[ $# -gt 0 ] || set -- python3.13 python3.12 python3.11 python3
found=""
for candidate in "$@"; do
    command -v "$candidate" >/dev/null 2>&1 || continue
    # A pyenv shim exists for every version pyenv knows but runs only the active
    # ones, so each candidate is run, not just looked up.
    if version=$("$candidate" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3]); sys.exit(sys.version_info < (3, 11))' 2>&1); then
        echo "$candidate"
        exit 0
    fi
    case "$version" in
        [0-9]*.[0-9]*.[0-9]*) what="Python $version" ;;
        *) what="does not run: $(echo "$version" | { read -r first; echo "$first"; })" ;;
    esac
    found="$found${found:+; }$candidate ($what)"
done
echo "make: twistbridge needs Python 3.11 or newer, as one of: $*." >&2
echo "make: found ${found:-none of them on PATH}." >&2
echo "make: install Python 3.11 or newer, or name one: make PYTHON=/path/to/python3.x" >&2
exit 1
