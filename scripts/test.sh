#!/usr/bin/env bash
# The test command: install, build, then run the whole test suite with ctest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/build.sh"
cd "${RBEE_BUILD_DIR:-$root/build}"
ctest --output-on-failure --timeout 300 -j "${RBEE_TEST_JOBS:-2}" "$@"
