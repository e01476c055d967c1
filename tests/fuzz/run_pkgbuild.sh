#!/usr/bin/env bash
# Builds the PKGBUILD fuzzer with clang (libFuzzer + ASan + UBSan) and runs it
# for a few seconds, seeded with the catalog's recipes. Exit 77 (ctest:
# skipped) without clang's fuzzer runtime. Usage: run_pkgbuild.sh SOURCE_DIR WORK_DIR [SECONDS]
set -euo pipefail
src="$1"
work="$2"
secs="${3:-15}"
if ! command -v clang++ >/dev/null 2>&1; then echo "clang++ not found: fuzzing skipped"; exit 77; fi
mkdir -p "$work/corpus" "$work/seeds"
if ! echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long){return 0;}' |
     clang++ -x c++ -fsanitize=fuzzer - -o "$work/probe" 2>/dev/null; then
  echo "clang's libFuzzer runtime (libclang-rt-dev) not found: fuzzing skipped"; exit 77
fi
clang++ -std=c++20 -O1 -g -fsanitize=address,undefined,fuzzer -fno-sanitize-recover=undefined -I"$src" \
  "$src/tests/fuzz/pkgbuild_fuzz.cpp" "$src/actors/pkgbuild.cpp" "$src/actors/install_steps.cpp" "$src/actors/deps_check.cpp" \
  "$src/actors/catalog.cpp" "$src/actors/worker_store.cpp" "$src/actors/atomic_file.cpp" "$src/actors/fetch.cpp" \
  "$src/messages/errc.cpp" "$src/json/parse.cpp" "$src/json/writer.cpp" -lcaf_core -lcurl -lcrypto -o "$work/pkgbuild_fuzz"
for f in "$src"/catalog/*/PKGBUILD.in; do cp "$f" "$work/seeds/$(basename "$(dirname "$f")")"; done
"$work/pkgbuild_fuzz" -artifact_prefix="$work/" -max_total_time="$secs" -max_len=4096 -rss_limit_mb=2048 \
  -print_final_stats=1 "$work/corpus" "$work/seeds"
