#include "kernels/bandwidth.hpp"
#include "kernels/cpu/quant_act.hpp"
#include "kernels/cpu_features.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

namespace rbee::kernels {

namespace {

std::mutex arena_mtx;
std::unique_ptr<tbb::task_arena> arena;
int n_threads = 0;

tbb::task_arena& get_arena() {
  std::lock_guard<std::mutex> g{arena_mtx};
  if (!arena) {
    n_threads = n_threads > 0 ? n_threads : std::max(1, detect_cpu().logical_cpus);
    arena = std::make_unique<tbb::task_arena>(n_threads);
  }
  return *arena;
}

} // namespace

void set_threads(int n) {
  std::lock_guard<std::mutex> g{arena_mtx};
  n_threads = n > 0 ? n : std::max(1, detect_cpu().logical_cpus);
  arena = std::make_unique<tbb::task_arena>(n_threads);
}

int threads() {
  get_arena();
  return n_threads;
}

void parallel_for(int begin, int end, int grain, const std::function<void(int, int)>& f) {
  if (end <= begin) return;
  auto& a = get_arena();
  if (n_threads == 1 || end - begin <= grain) {
    f(begin, end);
    return;
  }
  a.execute([&] {
    tbb::parallel_for(tbb::blocked_range<int>(begin, end, std::max(1, grain)),
                      [&](const tbb::blocked_range<int>& r) { f(r.begin(), r.end()); });
  });
}

double measure_read_bandwidth(int threads_, size_t bytes) {
  const size_t words = bytes / sizeof(uint64_t);
  std::unique_ptr<uint64_t[]> buf(new uint64_t[words]);
  int parts = std::max(1, threads_);
  // Touch the pages from the threads that will read them.
  parallel_for(0, parts, 1, [&](int lo, int hi) {
    for (int p = lo; p < hi; ++p)
      std::memset(buf.get() + words / parts * p, 1, words / parts * sizeof(uint64_t));
  });
  std::atomic<uint64_t> sink{0};
  double best = 0;
  for (int run = 0; run < 4; ++run) {
    auto t0 = std::chrono::steady_clock::now();
    parallel_for(0, parts, 1, [&](int lo, int hi) {
      for (int p = lo; p < hi; ++p) {
        sink += cpu::best_kernels().read_bytes(buf.get() + words / parts * p, words / parts * sizeof(uint64_t));
      }
    });
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (run > 0) best = std::max(best, static_cast<double>(bytes) / s);
  }
  return sink.load() == 42 ? best + 1 : best;
}

double measure_int8_peak(int threads_) {
  const int parts = std::max(1, threads_);
  const uint64_t rounds = 1 << 22;
  std::atomic<int32_t> sink{0};
  double best = 0;
  for (int run = 0; run < 4; ++run) {
    std::atomic<uint64_t> macs{0};
    auto t0 = std::chrono::steady_clock::now();
    parallel_for(0, parts, 1, [&](int lo, int hi) {
      for (int p = lo; p < hi; ++p) {
        int32_t s = 0;
        macs += cpu::best_kernels().int8_macs(rounds, &s);
        sink += s;
      }
    });
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (run > 0) best = std::max(best, static_cast<double>(macs.load()) / secs);
  }
  return sink.load() == 42 ? best + 1 : best;
}

} // namespace rbee::kernels
