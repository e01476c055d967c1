#include "kernels/cpu/repack.hpp"

#include "kernels/parallel.hpp"

#include <cstring>

namespace rbee::kernels::cpu {

bool can_repack(const weight& w) {
  return (w.type == dtype::q4_0 || w.type == dtype::q8_0) && w.rows % 8 == 0 && w.cols % 32 == 0 && w.rows > 0;
}

std::unique_ptr<uint8_t[]> repack(const weight& w) {
  const int nb = w.cols / 32, groups = w.rows / 8;
  if (w.type == dtype::q4_0) {
    std::unique_ptr<uint8_t[]> out(new uint8_t[sizeof(block_q4_0x8) * nb * groups]);
    auto* dst = reinterpret_cast<block_q4_0x8*>(out.get());
    parallel_for(0, groups, 8, [&](int lo, int hi) {
      for (int g = lo; g < hi; ++g)
        for (int b = 0; b < nb; ++b) {
          auto& o = dst[static_cast<size_t>(g) * nb + b];
          for (int r = 0; r < 8; ++r) {
            auto* src = reinterpret_cast<const block_q4_0*>(w.row(8 * g + r)) + b;
            o.d[r] = src->d;
            for (int k = 0; k < 4; ++k) std::memcpy(o.qs + 32 * k + 4 * r, src->qs + 4 * k, 4);
          }
        }
    });
    return out;
  }
  std::unique_ptr<uint8_t[]> out(new uint8_t[sizeof(block_q8_0x8) * nb * groups]);
  auto* dst = reinterpret_cast<block_q8_0x8*>(out.get());
  parallel_for(0, groups, 8, [&](int lo, int hi) {
    for (int g = lo; g < hi; ++g)
      for (int b = 0; b < nb; ++b) {
        auto& o = dst[static_cast<size_t>(g) * nb + b];
        for (int r = 0; r < 8; ++r) {
          auto* src = reinterpret_cast<const block_q8_0*>(w.row(8 * g + r)) + b;
          o.d[r] = src->d;
          for (int k = 0; k < 8; ++k) std::memcpy(o.qs + 32 * k + 4 * r, src->qs + 4 * k, 4);
        }
      }
  });
  return out;
}

} // namespace rbee::kernels::cpu
