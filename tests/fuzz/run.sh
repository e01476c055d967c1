#!/usr/bin/env bash
# Builds the GGUF fuzzer with clang (libFuzzer + ASan + UBSan) and runs it for a
# few seconds over the seed corpus. Exit 77 (ctest: skipped) without clang's
# fuzzer runtime. Usage: run.sh SOURCE_DIR WORK_DIR [SECONDS]
set -euo pipefail
src="$1"
work="$2"
secs="${3:-20}"
if ! command -v clang++ >/dev/null 2>&1; then echo "clang++ not found: fuzzing skipped"; exit 77; fi
mkdir -p "$work/corpus" "$work/seeds"
flags=(-std=c++20 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -I"$src")
if ! echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long){return 0;}' |
     clang++ -x c++ -fsanitize=fuzzer - -o "$work/probe" 2>/dev/null; then
  echo "clang's libFuzzer runtime (libclang-rt-dev) not found: fuzzing skipped"; exit 77
fi
# The whole engine library, instrumented (the SIMD files with their instruction-set flags).
objs=()
for f in "$src"/kernels/*.cpp "$src"/kernels/cpu/*.cpp; do
  extra=()
  case "$f" in
    */dot_avx2.cpp) extra=(-mavx2 -mfma -mf16c) ;;
    */dot_avx512.cpp) extra=(-mavx2 -mfma -mf16c -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni) ;;
  esac
  o="$work/$(basename "$f" .cpp).o"
  if [ ! -f "$o" ] || [ "$f" -nt "$o" ]; then
    clang++ "${flags[@]}" -fsanitize=fuzzer-no-link "${extra[@]}" -c "$f" -o "$o"
  fi
  objs+=("$o")
done
clang++ "${flags[@]}" -fsanitize=fuzzer "$src/tests/fuzz/gguf_fuzz.cpp" "${objs[@]}" -ltbb -lpcre2-8 -o "$work/gguf_fuzz"
clang++ -std=c++20 -O1 -I"$src" "$src/tests/fuzz/make_seeds.cpp" "$src/kernels/gguf_writer.cpp" "$src/kernels/types.cpp" \
  -o "$work/make_seeds"
"$work/make_seeds" "$work/seeds"
cp "$src"/tests/fuzz/corpus/* "$work/seeds/" 2>/dev/null || true
"$work/gguf_fuzz" -artifact_prefix="$work/" -max_total_time="$secs" -max_len=8192 -rss_limit_mb=2048 -print_final_stats=1 \
  "$work/corpus" "$work/seeds"
