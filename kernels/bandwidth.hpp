#pragma once
// The machine's measured limits: the memory read bandwidth decode runs against, and the
// int8 multiply-accumulate peak prompt processing and batched decode run against.

#include "kernels/parallel.hpp"

#include <cstddef>

namespace rbee::kernels {

/// Bytes per second read from a buffer far larger than the caches (`bytes`,
/// 1 GiB for `rbee bench`; a hive's quick estimate takes 256 MiB), with
/// `threads` threads (best of a few runs).
double measure_read_bandwidth(int threads, size_t bytes = size_t{1} << 30);

/// int8 multiply-accumulates per second of this CPU's best kernel set (AVX-512 VNNI,
/// AVX2) on `threads` threads, from a microkernel with no memory traffic (best of a few runs).
double measure_int8_peak(int threads);

} // namespace rbee::kernels
