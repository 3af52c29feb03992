"""Runs ../shared/tools/joydiff's main() once per request in one process.

usage: joydiff_batch.py JOYDIFF

Each line of standard input is a JSON array: joydiff's arguments. For each,
one line of standard output: a JSON object {"rc": exit status, "out":
what joydiff printed}. The comparison is joydiff's own code; only the
interpreter's start-up (about a second per call on a loaded machine) is
paid once instead of once per capture.
"""
import contextlib
import importlib.machinery
import importlib.util
import io
import json
import sys


def load(path):
    loader = importlib.machinery.SourceFileLoader("joydiff", path)
    spec = importlib.util.spec_from_loader("joydiff", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def main():
    joydiff = load(sys.argv[1])
    for line in sys.stdin:
        args = json.loads(line)
        buf = io.StringIO()
        try:
            with contextlib.redirect_stdout(buf):
                rc = joydiff.main(args)
        except SystemExit as e:
            rc = e.code if isinstance(e.code, int) else 2
        sys.stdout.write(json.dumps({"rc": rc, "out": buf.getvalue()}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
