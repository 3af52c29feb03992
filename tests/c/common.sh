# Sourced by the test scripts: locations and the skip convention.
# CTest treats exit status 77 as "skipped" (SKIP_RETURN_CODE).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
check="python3 $here/joycheck.py"

skip() {
    echo "SKIP: $*"
    exit 77
}

# The reference material is never copied into the repository: find it
# through JOY_SHARED (relative paths are taken from the repository root).
need_shared() {
    local s=${JOY_SHARED:-../shared}
    case $s in /*) ;; *) s=$repo/$s ;; esac
    [ -d "$s/pcaps" ] && [ -d "$s/ref/697dc5a" ] ||
        skip "reference material not found at $s (set JOY_SHARED to the shared/ directory)"
    JOY_SHARED=$(cd "$s" && pwd)
    command -v python3 >/dev/null || skip "python3 is needed to compare outputs"
}
