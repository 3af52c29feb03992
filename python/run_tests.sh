#!/bin/bash
# The Python package's tests: install it from the repository into a
# temporary directory (pip --no-index --no-build-isolation: no registry),
# then pytest against that copy, with the repository's build/libjoy.so.2
# (make lib) and build/joy. Uses Debian's /usr/bin/python3 (numpy, pandas,
# pytest from python3-numpy python3-pandas python3-pytest). Exit 0 with a
# SKIP line when pytest is not installed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
py=${PYTHON:-/usr/bin/python3}
[ -x "$py" ] || py=$(command -v python3)
if ! "$py" -c 'import pytest' 2>/dev/null; then
    echo "SKIP: pytest is not installed for $py (apt-get install python3-pytest python3-numpy python3-pandas)"
    exit 0
fi
export LIBJOY_PATH=${LIBJOY_PATH:-$repo/build/libjoy.so.2}
export JOY_CLI=${JOY_CLI:-$repo/build/joy}
[ -e "$LIBJOY_PATH" ] || { echo "no library at $LIBJOY_PATH: run make lib"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if "$py" -m pip --version >/dev/null 2>&1; then
    # From a copy: setuptools leaves build/ and *.egg-info beside its input.
    mkdir -p "$tmp/src"
    cp -r "$here/pyproject.toml" "$here/README.md" "$here/libjoy" "$tmp/src/"
    "$py" -m pip install -q --no-index --no-build-isolation --no-deps --target "$tmp/site" "$tmp/src"
    echo "installed: $(ls "$tmp/site")"
    site=$tmp/site
else
    echo "pip is not installed for $py: testing the source tree ($here) instead of an installed copy"
    site=$here
fi
cd "$tmp"
export PYTHONDONTWRITEBYTECODE=1
PYTHONPATH=$site "$py" -c 'import libjoy, sys; print("libjoy from", libjoy.__file__)'
PYTHONPATH=$site exec "$py" -m pytest -p no:cacheprovider -q "$here/tests"
