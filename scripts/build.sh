#!/usr/bin/env bash
# Installs missing packages, configures and builds rbee (Release) into build/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/deps.sh"
build="${RBEE_BUILD_DIR:-$root/build}"
generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release
fi
jobs="${RBEE_BUILD_JOBS:-$(nproc)}"
cmake --build "$build" --parallel "$jobs"
