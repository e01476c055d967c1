#!/usr/bin/env bash
# Wall time of `rbee run MODEL "Once upon a time"` to its first token, as a user
# sees it: (1) no server running — the keeper starts `rbee serve` in the
# background, auto_run loads the model; (2) server up, model loaded; (3) server
# up, model cached but unloaded. Private XDG dirs; the started server is stopped.
#   bench/first_token.sh [MODEL.gguf]   (RBEE_BIN: the rbee binary, default build/rbee)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rbee="${RBEE_BIN:-$here/../build/rbee}"
models="${RBEE_TEST_MODELS:-$here/../tests/models}"
model="${1:-$models/stories260K/stories260K-q8_0.gguf}"
[ -f "$model" ] || { echo "first_token: no model at $model; skipped" >&2; exit 77; }
tmp="$(mktemp -d)"
export XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" XDG_CACHE_HOME="$tmp/cache" XDG_STATE_HOME="$tmp/state"
export RBEE_CATALOG_URL="http://127.0.0.1:1" # no catalog: the built-in CPU engine
# Below the kernel's ephemeral range (32768+), where the suite's other servers (--port 0) and
# clients get theirs: no other test running beside this one takes the port mid-run.
port=$((10000 + RANDOM % 10000))
while curl -s -o /dev/null "http://127.0.0.1:$port/health"; do port=$((port + 1)); done
export RBEE_QUEEN_URL="http://127.0.0.1:$port"
cleanup() {
  pid="$(grep -o 'pid [0-9]*' "$tmp/keeper.err" 2>/dev/null | head -1 | cut -d' ' -f2 || true)"
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# Milliseconds from the command's start to the first byte of its answer.
first_token() {
  local start end c
  start=$(date +%s%N)
  IFS= read -r -N 1 c < <("$rbee" run "$model" "Once upon a time" -n 8 2>>"$tmp/keeper.err")
  end=$(date +%s%N)
  echo $(((end - start) / 1000000))
}

cold=$(first_token)
sleep 0.5 # let the first answer finish
warm=$(first_token)
sleep 0.5
"$rbee" stop "$model" >/dev/null
sleep 0.3
unloaded=$(first_token)
echo "rbee run to first token ($(basename "$model")):"
echo "  no server running (keeper starts one): ${cold} ms"
echo "  server up, model loaded:               ${warm} ms"
echo "  server up, model cached, not loaded:   ${unloaded} ms"
