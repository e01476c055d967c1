#!/usr/bin/env bash
# The test command: install, build, then run the whole test suite with ctest,
# and say how many tests skipped and why (a fresh clone skips only the GPU
# tests without a GPU and what needs root or a missing tool, each saying so).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/build.sh"
cd "${RBEE_BUILD_DIR:-$root/build}"
rm -f Testing/Temporary/LastTest.log
rc=0
ctest --output-on-failure --timeout 300 -j "${RBEE_TEST_JOBS:-2}" "$@" || rc=$?
[ -f Testing/Temporary/LastTest.log ] && awk -f "$root/scripts/skip-summary.awk" Testing/Temporary/LastTest.log
exit "$rc"
