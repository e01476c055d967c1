#pragma once
// The machine's measured memory read bandwidth: the limit decode runs against.

#include "kernels/parallel.hpp"

namespace rbee::kernels {

/// Bytes per second read from a buffer far larger than the caches, with
/// `threads` threads (best of a few runs).
double measure_read_bandwidth(int threads);

} // namespace rbee::kernels
