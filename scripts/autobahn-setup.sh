#!/bin/sh
# Autobahn|Testsuite's `wstest` for `make conformance`: Python 2 code, so it gets a
# virtualenv of its own under .conformance/ (ignored by git), on pyenv's 2.7.18, with
# the versions its sdist's requires.txt pins. Does nothing when it is already there.
set -eu
DIR=.conformance
WSTEST=$DIR/py27/bin/wstest
VERSION=25.10.1  # autobahntestsuite on PyPI
[ -x "$WSTEST" ] && exit 0
PY2=$(pyenv root 2>/dev/null)/versions/2.7.18/bin/python
[ -x "$PY2" ] || { echo "conformance: Python 2.7 is needed (pyenv install 2.7.18)"; exit 1; }
mkdir -p "$DIR/dl"
"$PY2" -m pip download -q --no-deps --no-binary :all: -d "$DIR/dl" "autobahntestsuite==$VERSION"
tar -xzf "$DIR/dl/autobahntestsuite-$VERSION.tar.gz" -C "$DIR/dl"
# virtualenv 20.21 is the last that runs on Python 2.7: installed beside, not into, pyenv's.
"$PY2" -m pip install -q --target "$DIR/boot" 'virtualenv<20.22'
PYTHONPATH="$DIR/boot" "$PY2" -m virtualenv -q "$DIR/py27"
"$DIR/py27/bin/pip" install -q -r "$DIR/dl/autobahntestsuite-$VERSION/autobahntestsuite.egg-info/requires.txt"
"$DIR/py27/bin/pip" install -q --no-deps "$DIR/dl/autobahntestsuite-$VERSION.tar.gz"
echo "conformance: wstest installed in $DIR/py27"
