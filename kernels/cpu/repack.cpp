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

void repack_q4_k(const weight& w, uint8_t* out) {
  const int nb = w.cols / 256, groups = w.rows / 8;
  auto* dst = reinterpret_cast<block_q4_kx8*>(out);
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
}

void repack_q6_k(const weight& w, uint8_t* out) {
  const int nb = w.cols / 256, groups = w.rows / 8;
  auto* dst = reinterpret_cast<block_q6_kx8*>(out);
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
}

void repack_q4_0x16(const weight& w, uint8_t* out) {
  const int nb = w.cols / 32, groups = w.rows / 16;
  auto* dst = reinterpret_cast<block_q4_0x16*>(out);
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
}

} // namespace

int repack_rows(const weight& w, const kernel_set& k) {
  return w.type == dtype::q4_0 && k.gemm_q4_0x16 && w.rows % 16 == 0 ? 16 : 8;
}

size_t repacked_bytes(const weight& w, int rows_per_group) {
  size_t rows = static_cast<size_t>(w.rows);
  switch (w.type) {
    case dtype::q4_k: return rows / 8 * (w.cols / 256) * sizeof(block_q4_kx8);
    case dtype::q6_k: return rows / 8 * (w.cols / 256) * sizeof(block_q6_kx8);
    case dtype::q4_0:
      return rows_per_group == 16 && rows % 16 == 0 ? rows / 16 * (w.cols / 32) * sizeof(block_q4_0x16) : rows / 8 * (w.cols / 32) * sizeof(block_q4_0x8);
    default: return rows / 8 * (w.cols / 32) * sizeof(block_q8_0x8);
  }
}

std::unique_ptr<uint8_t[]> repack(const weight& w, int rows_per_group) {
  std::unique_ptr<uint8_t[]> out(new uint8_t[repacked_bytes(w, rows_per_group)]);
  repack_into(w, rows_per_group, out.get());
  return out;
}

void repack_into(const weight& w, int rows_per_group, uint8_t* out) {
  if (rows_per_group == 16 && w.type == dtype::q4_0 && w.rows % 16 == 0) return repack_q4_0x16(w, out);
  if (w.type == dtype::q4_k) return repack_q4_k(w, out);
  if (w.type == dtype::q6_k) return repack_q6_k(w, out);
  const int nb = w.cols / 32, groups = w.rows / 8;
  if (w.type == dtype::q4_0) {
    auto* dst = reinterpret_cast<block_q4_0x8*>(out);
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
    return;
  }
  auto* dst = reinterpret_cast<block_q8_0x8*>(out);
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
}

} // namespace rbee::kernels::cpu
