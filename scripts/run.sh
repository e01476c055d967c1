#!/usr/bin/env bash
# The run command: install, build, then start `rbee serve` (embedded mode) on http://127.0.0.1:8500.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/build.sh"
exec "${RBEE_BUILD_DIR:-$root/build}/rbee" serve "$@"
