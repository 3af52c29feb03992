#!/bin/bash
# make test: every part runs even when an earlier one fails, each with an
# explicit timeout, then one summary (part, status, minutes) and the exit
# status 1 when any part failed.
#
#   tests/run.sh PART...     parts: go ctest python
#
# Environment: GO, GO_TEST_TIMEOUT (go test's -timeout, per package
# binary), CTEST, CTEST_TIMEOUT (seconds per CTest test), CMAKE_DIR,
# PYTHON_TEST_TIMEOUT (seconds for the whole pytest run), GO_TEST_FLAGS.
set -uo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
CTEST=${CTEST:-ctest}
CMAKE_DIR=${CMAKE_DIR:-build/cmake}
GO_TEST_TIMEOUT=${GO_TEST_TIMEOUT:-75m}
CTEST_TIMEOUT=${CTEST_TIMEOUT:-1800}
PYTHON_TEST_TIMEOUT=${PYTHON_TEST_TIMEOUT:-600}
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
summary=()
failed=0

part() {
    local name=$1
    shift
    local t0=$SECONDS rc=0
    echo "==== $name: $*"
    "$@" 2>&1 | tee "$log/$name" || rc=${PIPESTATUS[0]}
    local secs=$((SECONDS - t0)) detail=""
    case $name in
    go)
        detail="$(grep -c '^ok ' "$log/$name") packages ok, $(grep -c '^FAIL' "$log/$name") FAIL lines, $(grep -c '^--- SKIP' "$log/$name") skips shown"
        ;;
    ctest)
        detail="$(grep -m1 'tests passed' "$log/$name" || true); $(grep -c 'Skipped' "$log/$name") skipped"
        ;;
    python)
        detail="$(tail -1 "$log/$name" | sed 's/=//g; s/^ *//')"
        ;;
    esac
    [ $rc -eq 0 ] || failed=1
    summary+=("$(printf '%-8s %-6s %3dm%02ds  %s' "$name" "$([ $rc -eq 0 ] && echo ok || echo "FAIL($rc)")" $((secs / 60)) $((secs % 60)) "$detail")")
}

for p in "$@"; do
    case $p in
    go) part go $GO test -timeout "$GO_TEST_TIMEOUT" ${GO_TEST_FLAGS:-} ./... ;;
    ctest) part ctest $CTEST --test-dir "$CMAKE_DIR" --output-on-failure --timeout "$CTEST_TIMEOUT" ;;
    python) part python timeout "$PYTHON_TEST_TIMEOUT" bash python/run_tests.sh ;;
    *) echo "unknown part $p" >&2; exit 2 ;;
    esac
done

echo
echo "==== summary (make test)"
printf '%s\n' "${summary[@]}"
exit $failed
