#!/usr/bin/env bash
# Builds one libFuzzer target with clang (libFuzzer + ASan + UBSan) from the
# sources it needs, and runs it for a bounded time over its committed seeds
# (tests/fuzz/seeds/TARGET) and the corpus it grew before. Exit 77 (ctest:
# skipped) without clang's fuzzer runtime. A crash leaves its input in WORK
# (crash-*): add it to seeds/TARGET and write a regression test.
# Usage: run_target.sh SOURCE_DIR WORK_DIR TARGET [SECONDS]
# Targets: gguf tokenizer pkgbuild json_ops openai sse rbee_url caf_messages http
set -euo pipefail
src="$1"
work="$2"
target="$3"
secs="${4:-${RBEE_FUZZ_SECONDS:-15}}"
if ! command -v clang++ >/dev/null 2>&1; then echo "clang++ not found: fuzzing skipped"; exit 77; fi
mkdir -p "$work/corpus" "$work/seeds"
if ! echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long){return 0;}' |
     clang++ -x c++ -fsanitize=fuzzer - -o "$work/probe" 2>/dev/null; then
  echo "clang's libFuzzer runtime (libclang-rt-dev) not found: fuzzing skipped"; exit 77
fi
flags=(-std=c++20 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -I"$src"
       -fsanitize-ignorelist="$src/tests/fuzz/ignorelist.txt"
       -DRAPIDJSON_HAS_STDSTRING=1 -DBOOST_ASIO_NO_DEPRECATED
       -DSPDLOG_SHARED_LIB -DSPDLOG_COMPILED_LIB -DSPDLOG_FMT_EXTERNAL) # as Debian's spdlog target says

# Objects compiled once per source and shared by the targets (a lock: ctest runs
# targets in parallel), rebuilt when the source is newer.
objs_dir="$(dirname "$work")/fuzz-objects"
mkdir -p "$objs_dir"
# A header changed since an object was built: that object is built again.
newest_header="$(find "$src" -path "$src/build" -prune -o -name '*.hpp' -printf '%T@ %p\n' | sort -n | tail -1 | cut -d' ' -f2-)"
objects() {
  local out=() f o extra
  exec 9>"$objs_dir/.lock"
  flock 9
  for f in "$@"; do
    extra=()
    case "$f" in
      */dot_avx2.cpp) extra=(-mavx2 -mfma -mf16c) ;;
      */dot_avx512.cpp) extra=(-mavx2 -mfma -mf16c -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni) ;;
    esac
    o="$objs_dir/$(echo "${f#"$src"/}" | tr / _).o"
    if [ ! -f "$o" ] || [ "$f" -nt "$o" ] || [ "$0" -nt "$o" ] || [ "$src/tests/fuzz/ignorelist.txt" -nt "$o" ] ||
       [ "$newest_header" -nt "$o" ]; then
      clang++ "${flags[@]}" -fsanitize=fuzzer-no-link "${extra[@]}" -c "$f" -o "$o"
    fi
    out+=("$o")
  done
  exec 9>&-
  OBJECTS=("${out[@]}")
}

messages=("$src"/messages/*.cpp "$src"/json/*.cpp)
libs=(-lcaf_core)
max_len=4096
case "$target" in
  gguf|tokenizer)
    objects "$src"/kernels/*.cpp "$src"/kernels/cpu/*.cpp
    libs=(-ltbb -lpcre2-8)
    max_len=8192
    if [ "$target" = gguf ]; then
      clang++ -std=c++20 -O1 -I"$src" "$src/tests/fuzz/make_seeds.cpp" "$src/kernels/gguf_writer.cpp" "$src/kernels/types.cpp" "$src/kernels/types_low.cpp" \
        -o "$work/make_seeds"
      "$work/make_seeds" "$work/seeds"
    fi ;;
  pkgbuild)
    objects "$src"/actors/install/{pkgbuild,pkgbuild_body,steps,deps_check,catalog}.cpp "$src"/actors/hive/worker_store.cpp \
      "$src"/io/{atomic_file,fetch,child}.cpp "${messages[@]}"
    libs=(-lcaf_core -lcurl -lcrypto)
    for f in "$src"/catalog/*/PKGBUILD.in; do cp "$f" "$work/seeds/$(basename "$(dirname "$f")")"; done ;;
  json_ops|rbee_url|caf_messages)
    objects "${messages[@]}" ;;
  openai)
    objects "$src"/net/{openai_codec,reasoning,sse_parser,http_error}.cpp "${messages[@]}" ;;
  sse)
    objects "$src"/net/sse_parser.cpp ;;
  http)
    objects "$src"/net/*.cpp \
      "$src"/actors/queen/{queen,schedule,auto_run,job_table,hive_registry,gate,remote,remote_job,remote_build,copy}.cpp \
      "$src"/actors/bridge/{sse_bridge,event_log}.cpp "$src"/cluster/*.cpp "$src"/io/{atomic_file,fetch,base64,child}.cpp \
      "$src"/config/*.cpp "$src"/log/*.cpp "${messages[@]}"
    libs=(-lcaf_core -lboost_system -lcurl -lcrypto -lspdlog -lfmt -lpthread)
    max_len=8192 ;;
  *) echo "unknown fuzz target '$target'" >&2; exit 2 ;;
esac
clang++ "${flags[@]}" -fsanitize=fuzzer "$src/tests/fuzz/${target}_fuzz.cpp" "${OBJECTS[@]}" "${libs[@]}" -o "$work/${target}_fuzz"
if [ -d "$src/tests/fuzz/seeds/$target" ]; then cp "$src/tests/fuzz/seeds/$target"/* "$work/seeds/" 2>/dev/null || true; fi
# The seeds must pass as they are (regression inputs of crashes found), then fuzz.
# libFuzzer's own exit code for a crash is 77, ctest's "skipped": a crash must fail.
run=("$work/${target}_fuzz" -artifact_prefix="$work/" -error_exitcode=1 -timeout_exitcode=1 -timeout=10 -rss_limit_mb=2048)
"${run[@]}" -runs=0 "$work/seeds"
"${run[@]}" -max_total_time="$secs" -max_len="$max_len" -print_final_stats=1 "$work/corpus" "$work/seeds"
