#pragma once
// The machine's measured memory read bandwidth: the limit decode runs against.

#include "kernels/parallel.hpp"

#include <cstddef>

namespace rbee::kernels {

/// Bytes per second read from a buffer far larger than the caches (`bytes`,
/// 1 GiB for `rbee bench`; a hive's quick estimate takes 256 MiB), with
/// `threads` threads (best of a few runs).
double measure_read_bandwidth(int threads, size_t bytes = size_t{1} << 30);

} // namespace rbee::kernels
