#!/usr/bin/env bash
# Decode and prefill t/s on a CUDA GPU for `rbee model synth` models in real
# shapes (tinyllama-1.1b, llama-3.2-1b) and types (q4_0, q8_0, q4_k_m, f16),
# with the fraction of the GPU's measured copy bandwidth decode reaches.
#   bench/cuda_bench.sh [DEVICE]   (default cuda:0; RBEE_BIN: the rbee binary)
# Exits 77 (skipped) where there is no usable GPU.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rbee="${RBEE_BIN:-$here/../build/rbee}"
device="${1:-cuda:0}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$rbee" model synth --shape stories15m --type q8_0 --out "$tmp/probe.gguf" >/dev/null 2>&1
if ! "$rbee" generate --model "$tmp/probe.gguf" --prompt "a" -n 1 --device "$device" >/dev/null 2>"$tmp/err"; then
  echo "cuda_bench: skipped: $(cat "$tmp/err")" >&2
  exit 77
fi
printf '%-16s %-8s %10s %10s %10s %8s\n' shape type "pp512 t/s" "tg128 t/s" "GB/s copy" "BW used"
for shape in tinyllama-1.1b llama-3.2-1b; do
  for type in q4_0 q8_0 q4_k_m f16; do
    "$rbee" model synth --shape "$shape" --type "$type" --out "$tmp/m.gguf" >/dev/null
    line="$("$rbee" bench --model "$tmp/m.gguf" --device "$device" -p 512 -n 128 --json)"
    num() { echo "$line" | grep -o "\"$1\":[0-9.]*" | cut -d: -f2; }
    printf '%-16s %-8s %10.1f %10.1f %10.0f %7.0f%%\n' "$shape" "$type" "$(num prefill_tps)" "$(num decode_tps)" \
      "$(num read_bandwidth_gbs)" "$(awk -v f="$(num decode_bandwidth_fraction)" 'BEGIN { print f * 100 }')"
    rm -f "$tmp/m.gguf"
  done
done
# What replaying decode steps from CUDA graphs buys: the same models launched kernel by kernel.
for shape in tinyllama-1.1b llama-3.2-1b; do
  "$rbee" model synth --shape "$shape" --type q4_0 --out "$tmp/m.gguf" >/dev/null
  on="$("$rbee" bench --model "$tmp/m.gguf" --device "$device" -p 0 -n 128 --json | grep -o '"decode_tps":[0-9.]*' | cut -d: -f2)"
  off="$(RBEE_CUDA_GRAPHS=0 "$rbee" bench --model "$tmp/m.gguf" --device "$device" -p 0 -n 128 --json | grep -o '"decode_tps":[0-9.]*' | cut -d: -f2)"
  printf '%-16s q4_0 tg128: %8.1f t/s with CUDA graphs, %8.1f without\n' "$shape" "$on" "$off"
  rm -f "$tmp/m.gguf"
done
