#include "kernels/cpu/repack.hpp"

#include "kernels/cpu/quant_act.hpp"
#include "kernels/k_scales.hpp"

#include "kernels/parallel.hpp"

#include <cstring>

namespace rbee::kernels::cpu {

bool can_repack(const weight& w) {
  return (w.type == dtype::q4_0 || w.type == dtype::q8_0 || w.type == dtype::q4_k || w.type == dtype::q6_k) &&
         w.rows % 8 == 0 &&
         w.cols % info(w.type).block == 0 && w.rows > 0;
}

namespace {

std::unique_ptr<uint8_t[]> repack_q4_k(const weight& w) {
  const int nb = w.cols / 256, groups = w.rows / 8;
  std::unique_ptr<uint8_t[]> out(new uint8_t[sizeof(block_q4_kx8) * nb * groups]);
  auto* dst = reinterpret_cast<block_q4_kx8*>(out.get());
  parallel_for(0, groups, 8, [&](int lo, int hi) {
    for (int g = lo; g < hi; ++g)
      for (int b = 0; b < nb; ++b) {
        auto& o = dst[static_cast<size_t>(g) * nb + b];
        for (int r = 0; r < 8; ++r) {
          auto* src = reinterpret_cast<const block_q4_k*>(w.row(8 * g + r)) + b;
          o.d[r] = src->d;
          o.dmin[r] = src->dmin;
          uint8_t sc[8], m[8];
          unpack_scales_k4(src->scales, sc, m);
          for (int j = 0; j < 8; ++j) {
            o.sc[j][r] = sc[j];
            o.m[j][r] = m[j];
          }
          for (int k = 0; k < 32; ++k) std::memcpy(o.qs + 32 * k + 4 * r, src->qs + 4 * k, 4);
        }
      }
  });
  return out;
}

std::unique_ptr<uint8_t[]> repack_q6_k(const weight& w) {
  const int nb = w.cols / 256, groups = w.rows / 8;
  std::unique_ptr<uint8_t[]> out(new uint8_t[sizeof(block_q6_kx8) * nb * groups]);
  auto* dst = reinterpret_cast<block_q6_kx8*>(out.get());
  parallel_for(0, groups, 8, [&](int lo, int hi) {
    for (int g = lo; g < hi; ++g)
      for (int b = 0; b < nb; ++b) {
        auto& o = dst[static_cast<size_t>(g) * nb + b];
        for (int r = 0; r < 8; ++r) {
          auto* src = reinterpret_cast<const block_q6_k*>(w.row(8 * g + r)) + b;
          o.d[r] = src->d;
          for (int j = 0; j < 16; ++j) o.sc[j][r] = src->scales[j];
          for (int k = 0; k < 32; ++k) std::memcpy(o.ql + 32 * k + 4 * r, src->ql + 4 * k, 4);
          for (int k = 0; k < 16; ++k) std::memcpy(o.qh + 32 * k + 4 * r, src->qh + 4 * k, 4);
        }
      }
  });
  return out;
}

std::unique_ptr<uint8_t[]> repack_q4_0x16(const weight& w) {
  const int nb = w.cols / 32, groups = w.rows / 16;
  std::unique_ptr<uint8_t[]> out(new uint8_t[sizeof(block_q4_0x16) * nb * groups]);
  auto* dst = reinterpret_cast<block_q4_0x16*>(out.get());
  parallel_for(0, groups, 4, [&](int lo, int hi) {
    for (int g = lo; g < hi; ++g)
      for (int b = 0; b < nb; ++b) {
        auto& o = dst[static_cast<size_t>(g) * nb + b];
        for (int r = 0; r < 16; ++r) {
          auto* src = reinterpret_cast<const block_q4_0*>(w.row(16 * g + r)) + b;
          o.d[r] = src->d;
          for (int k = 0; k < 4; ++k) std::memcpy(o.qs + 64 * k + 4 * r, src->qs + 4 * k, 4);
        }
      }
  });
  return out;
}

} // namespace

std::unique_ptr<uint8_t[]> repack_for(weight& w, const kernel_set& k) {
  int rows = w.type == dtype::q4_0 && k.gemm_q4_0x16 && w.rows % 16 == 0 ? 16 : 8;
  auto out = repack(w, rows);
  w.packed = out.get();
  w.packed_rows = rows;
  return out;
}

std::unique_ptr<uint8_t[]> repack(const weight& w, int rows_per_group) {
  if (rows_per_group == 16 && w.type == dtype::q4_0 && w.rows % 16 == 0) return repack_q4_0x16(w);
  if (w.type == dtype::q4_k) return repack_q4_k(w);
  if (w.type == dtype::q6_k) return repack_q6_k(w);
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
