#pragma once
// The engine's threads: one oneTBB arena of a chosen size, used by every op.

#include <functional>

namespace rbee::kernels {

/// Sets the number of threads (0: every core this process may use).
void set_threads(int n);
int threads();

/// Calls f(lo, hi) over [begin, end) split into chunks of at least `grain`, in parallel.
void parallel_for(int begin, int end, int grain, const std::function<void(int, int)>& f);

} // namespace rbee::kernels
