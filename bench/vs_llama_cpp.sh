#!/usr/bin/env bash
# rbee and llama.cpp on the same GGUF files, in the same run, alternated: prefill
# (ppP) and decode (tgN) tokens/s, medians of ROUNDS rounds each, with the fraction
# of the machine's read bandwidth rbee's decode reaches. llama.cpp is npm's
# node-llama-cpp (tests/oracle, installed by scripts/deps.sh), its prebuilt CPU build.
#   bench/vs_llama_cpp.sh [MODEL.gguf ...]
# Without files it makes synthetic models of the shapes people pull (cached in
# $RBEE_BENCH_DIR, default ~/.cache/rbee-bench): qwen3-0.6b, gemma3-1b, phi4-mini
# in Q4_0 and Q4_K_M, and qwen3-30b-a3b cut to 12 of its 48 layers (Q4_0).
# Environment: ROUNDS (3), P (256), N (32), THREADS (all cores), RBEE_BIN.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rbee="${RBEE_BIN:-$here/../build/rbee}"
rounds="${ROUNDS:-3}" p="${P:-256}" n="${N:-32}" threads="${THREADS:-$(nproc)}"
oracle="$here/../tests/oracle"
command -v node >/dev/null || { echo "vs_llama_cpp: node is not installed; skipped" >&2; exit 77; }
[ -f "$oracle/node_modules/node-llama-cpp/package.json" ] ||
  { echo "vs_llama_cpp: node-llama-cpp is not installed (scripts/deps.sh); skipped" >&2; exit 77; }

models=("$@")
if [ ${#models[@]} -eq 0 ]; then
  dir="${RBEE_BENCH_DIR:-$HOME/.cache/rbee-bench}"
  mkdir -p "$dir"
  synth() { # shape type [layers]
    local f="$dir/$1${3:+-$3l}-$2.gguf"
    [ -f "$f" ] || "$rbee" model synth --shape "$1" --type "$2" ${3:+--layers "$3"} --out "$f" >&2
    models+=("$f")
  }
  for shape in qwen3-0.6b gemma3-1b phi4-mini; do synth "$shape" q4_0; synth "$shape" q4_k_m; done
  synth qwen3-30b-a3b q4_0 12
fi

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
field() { sed -n "s/.*\"$1\":\([0-9.eE+-]*\).*/\1/p"; }

printf '| model | rbee pp%s | llama.cpp pp%s | rbee tg%s | llama.cpp tg%s | rbee/llama.cpp tg | rbee decode / bandwidth |\n' "$p" "$p" "$n" "$n"
echo '|---|---|---|---|---|---|---|'
for m in "${models[@]}"; do
  rpp=() rtg=() lpp=() ltg=() frac=""
  for ((i = 0; i < rounds; i++)); do
    r="$("$rbee" bench --model "$m" -p "$p" -n "$n" --threads "$threads" --json 2>/dev/null)"
    rpp+=("$(field prefill_tps <<<"$r")") rtg+=("$(field decode_tps <<<"$r")") frac="$(field decode_bandwidth_fraction <<<"$r")"
    l="$(node "$oracle/speed.mjs" "$(realpath "$m")" "$p" "$n" "$threads")"
    lpp+=("$(field pp <<<"$l")") ltg+=("$(field tg <<<"$l")")
  done
  a="$(printf '%s\n' "${rpp[@]}" | median)" b="$(printf '%s\n' "${lpp[@]}" | median)"
  c="$(printf '%s\n' "${rtg[@]}" | median)" d="$(printf '%s\n' "${ltg[@]}" | median)"
  printf '| %s | %.1f | %.1f | %.2f | %.2f | %.2fx | %.0f%% |\n' "$(basename "$m")" "$a" "$b" "$c" "$d" \
    "$(awk -v x="$c" -v y="$d" 'BEGIN { print x / y }')" "$(awk -v f="$frac" 'BEGIN { print f * 100 }')"
done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); threads $threads; $(date -u +%F)"
