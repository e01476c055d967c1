// The low-bit types people pull for large models on small machines: MXFP4 (gpt-oss's
// experts: a power-of-two scale per 32 FP4 values), Q2_K, Q3_K
// (llama.cpp's K-quants, 256-element super-blocks of 16-element sub-blocks with
// packed scales) and IQ4_NL, IQ4_XS (4-bit indices into a non-linear table). The
// reference conversions; the engine multiplies with them through the generic path
// (each row dequantized once, SIMD f32 dots). The quantizers are plain round-to-nearest
// with per-sub-block scales: a valid file, not llama.cpp's importance-weighted search.
#include "kernels/types_low.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace rbee::kernels {

namespace {

constexpr int8_t iq4nl_values[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
/// FP4 E2M1's values, doubled (the scale is halved to match, as ggml does).
constexpr int8_t mxfp4_values[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

/// An E8M0 scale, halved: 2^(e - 128).
float e8m0_half(uint8_t e) { return std::ldexp(1.f, static_cast<int>(e) - 128); }

/// 32 values from 16 bytes of 4-bit indices into `table` (low nibbles first), times d.
void table4_decode(const uint8_t* qs, const int8_t* table, float d, float* y) {
  for (int j = 0; j < 16; ++j) {
    y[j] = d * table[qs[j] & 0xF];
    y[j + 16] = d * table[qs[j] >> 4];
  }
}

int clamp_round(float v, int lo, int hi) { return std::clamp(static_cast<int>(std::lround(v)), lo, hi); }

/// The index of the table value nearest to v.
uint8_t nearest_iq4(float v) {
  int best = 0;
  for (int i = 1; i < 16; ++i)
    if (std::fabs(v - iq4nl_values[i]) < std::fabs(v - iq4nl_values[best])) best = i;
  return static_cast<uint8_t>(best);
}

/// The 16 six-bit scales of a Q3_K block from their packed 12 bytes.
void unpack_q3k_scales(const uint8_t* b, int* sc) {
  for (int k = 0; k < 4; ++k) {
    sc[k] = (b[k] & 0xF) | ((b[8 + k] >> 0) & 3) << 4;
    sc[4 + k] = (b[4 + k] & 0xF) | ((b[8 + k] >> 2) & 3) << 4;
    sc[8 + k] = (b[k] >> 4) | ((b[8 + k] >> 4) & 3) << 4;
    sc[12 + k] = (b[4 + k] >> 4) | ((b[8 + k] >> 6) & 3) << 4;
  }
}

void pack_q3k_scales(const int* sc, uint8_t* b) {
  for (int k = 0; k < 4; ++k) {
    b[k] = static_cast<uint8_t>((sc[k] & 0xF) | (sc[8 + k] & 0xF) << 4);
    b[4 + k] = static_cast<uint8_t>((sc[4 + k] & 0xF) | (sc[12 + k] & 0xF) << 4);
    b[8 + k] = static_cast<uint8_t>((sc[k] >> 4) | (sc[4 + k] >> 4) << 2 | (sc[8 + k] >> 4) << 4 | (sc[12 + k] >> 4) << 6);
  }
}

// Q2_K and Q3_K put element e of a super-block in bits 2j..2j+1 of byte h*32 + l, where
// h = e / 128, j = (e % 128) / 32, l = e % 32; Q3_K's third bit is bit h*4 + j of hmask[l].
struct k_pos {
  int byte, shift, hbit;
};
k_pos position(int e) {
  int h = e / 128, j = (e % 128) / 32, l = e % 32;
  return {h * 32 + l, 2 * j, h * 4 + j};
}

} // namespace

bool dequantize_low(dtype t, const void* src, float* y, size_t n) {
  switch (t) {
    case dtype::q2_k: {
      auto* b = static_cast<const block_q2_k*>(src);
      for (size_t i = 0; i < n / 256; ++i, y += 256) {
        float d = f16_to_f32(b[i].d), dmin = f16_to_f32(b[i].dmin);
        for (int e = 0; e < 256; ++e) {
          auto p = position(e);
          uint8_t sc = b[i].scales[e / 16];
          y[e] = d * (sc & 0xF) * ((b[i].qs[p.byte] >> p.shift) & 3) - dmin * (sc >> 4);
        }
      }
      return true;
    }
    case dtype::q3_k: {
      auto* b = static_cast<const block_q3_k*>(src);
      for (size_t i = 0; i < n / 256; ++i, y += 256) {
        float d = f16_to_f32(b[i].d);
        int sc[16];
        unpack_q3k_scales(b[i].scales, sc);
        for (int e = 0; e < 256; ++e) {
          auto p = position(e);
          int q = ((b[i].qs[p.byte] >> p.shift) & 3) - ((b[i].hmask[e % 32] >> p.hbit) & 1 ? 0 : 4);
          y[e] = d * (sc[e / 16] - 32) * q;
        }
      }
      return true;
    }
    case dtype::iq4_nl: {
      auto* b = static_cast<const block_iq4_nl*>(src);
      for (size_t i = 0; i < n / 32; ++i, y += 32) table4_decode(b[i].qs, iq4nl_values, f16_to_f32(b[i].d), y);
      return true;
    }
    case dtype::mxfp4: {
      auto* b = static_cast<const block_mxfp4*>(src);
      for (size_t i = 0; i < n / 32; ++i, y += 32) table4_decode(b[i].qs, mxfp4_values, e8m0_half(b[i].e), y);
      return true;
    }
    case dtype::iq4_xs: {
      auto* b = static_cast<const block_iq4_xs*>(src);
      for (size_t i = 0; i < n / 256; ++i) {
        float d = f16_to_f32(b[i].d);
        for (int ib = 0; ib < 8; ++ib, y += 32) {
          int ls = ((b[i].scales_l[ib / 2] >> 4 * (ib % 2)) & 0xF) | ((b[i].scales_h >> 2 * ib) & 3) << 4;
          table4_decode(b[i].qs + 16 * ib, iq4nl_values, d * static_cast<float>(ls - 32), y);
        }
      }
      return true;
    }
    default:
      return false;
  }
}

bool quantize_low(dtype t, const float* x, void* dst, size_t n) {
  switch (t) {
    case dtype::q2_k: { // x ≈ d*sc*q - dmin*m, q in 0..3, sc and m 4-bit per 16 elements
      auto* b = static_cast<block_q2_k*>(dst);
      for (size_t i = 0; i < n / 256; ++i, x += 256) {
        float scale[16], lift[16], dmax = 0, mmax = 0;
        for (int s = 0; s < 16; ++s) {
          float lo = 0, hi = 0;
          for (int l = 0; l < 16; ++l) lo = std::min(lo, x[16 * s + l]), hi = std::max(hi, x[16 * s + l]);
          scale[s] = (hi - lo) / 3, lift[s] = -lo;
          dmax = std::max(dmax, scale[s]), mmax = std::max(mmax, lift[s]);
        }
        float d = dmax / 15, dmin = mmax / 15;
        b[i].d = f32_to_f16(d), b[i].dmin = f32_to_f16(dmin);
        d = f16_to_f32(b[i].d), dmin = f16_to_f32(b[i].dmin);
        std::memset(b[i].qs, 0, sizeof(b[i].qs));
        for (int s = 0; s < 16; ++s) {
          int sc = d > 0 ? clamp_round(scale[s] / d, 0, 15) : 0, m = dmin > 0 ? clamp_round(lift[s] / dmin, 0, 15) : 0;
          b[i].scales[s] = static_cast<uint8_t>(sc | m << 4);
          for (int l = 0; l < 16; ++l) {
            int e = 16 * s + l;
            int q = sc ? clamp_round((x[e] + dmin * m) / (d * sc), 0, 3) : 0;
            auto p = position(e);
            b[i].qs[p.byte] |= static_cast<uint8_t>(q << p.shift);
          }
        }
      }
      return true;
    }
    case dtype::q3_k: { // x ≈ d*(sc-32)*q, q in -4..3, sc 6-bit per 16 elements
      auto* b = static_cast<block_q3_k*>(dst);
      for (size_t i = 0; i < n / 256; ++i, x += 256) {
        float scale[16], dmax = 0;
        for (int s = 0; s < 16; ++s) {
          float amax = 0;
          for (int l = 0; l < 16; ++l) amax = std::max(amax, std::fabs(x[16 * s + l]));
          scale[s] = amax / 4, dmax = std::max(dmax, scale[s]);
        }
        float d = dmax / 31;
        b[i].d = f32_to_f16(d);
        d = f16_to_f32(b[i].d);
        int sc[16];
        for (int s = 0; s < 16; ++s) sc[s] = d > 0 ? clamp_round(scale[s] / d, 0, 31) + 32 : 32;
        pack_q3k_scales(sc, b[i].scales);
        std::memset(b[i].qs, 0, sizeof(b[i].qs));
        std::memset(b[i].hmask, 0, sizeof(b[i].hmask));
        for (int e = 0; e < 256; ++e) {
          float dl = d * static_cast<float>(sc[e / 16] - 32);
          int q = dl > 0 ? clamp_round(x[e] / dl, -4, 3) : 0;
          auto p = position(e);
          b[i].qs[p.byte] |= static_cast<uint8_t>(((q + 4) & 3) << p.shift);
          if (q >= 0) b[i].hmask[e % 32] |= static_cast<uint8_t>(1 << p.hbit);
        }
      }
      return true;
    }
    case dtype::iq4_nl: {
      auto* b = static_cast<block_iq4_nl*>(dst);
      for (size_t i = 0; i < n / 32; ++i, x += 32) {
        float amax = 0;
        for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[j]));
        b[i].d = f32_to_f16(amax / 127);
        float d = f16_to_f32(b[i].d), id = d > 0 ? 1 / d : 0;
        for (int j = 0; j < 16; ++j)
          b[i].qs[j] = static_cast<uint8_t>(nearest_iq4(x[j] * id) | nearest_iq4(x[j + 16] * id) << 4);
      }
      return true;
    }
    case dtype::mxfp4: { // the smallest power-of-two scale that holds the block's largest value
      auto* b = static_cast<block_mxfp4*>(dst);
      for (size_t i = 0; i < n / 32; ++i, x += 32) {
        float amax = 0;
        for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[j]));
        int e = amax > 0 ? std::clamp(static_cast<int>(std::ceil(std::log2(amax / 12))) + 128, 0, 254) : 0;
        b[i].e = static_cast<uint8_t>(e);
        float id = amax > 0 ? 1 / e8m0_half(b[i].e) : 0;
        auto nearest = [&](float v) {
          int best = 0;
          for (int k = 1; k < 16; ++k)
            if (std::fabs(v - mxfp4_values[k]) < std::fabs(v - mxfp4_values[best])) best = k;
          return static_cast<uint8_t>(best);
        };
        for (int j = 0; j < 16; ++j) b[i].qs[j] = static_cast<uint8_t>(nearest(x[j] * id) | nearest(x[j + 16] * id) << 4);
      }
      return true;
    }
    case dtype::iq4_xs: {
      auto* b = static_cast<block_iq4_xs*>(dst);
      for (size_t i = 0; i < n / 256; ++i, x += 256) {
        float scale[8], smax = 0;
        for (int ib = 0; ib < 8; ++ib) {
          float amax = 0;
          for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[32 * ib + j]));
          scale[ib] = amax / 127, smax = std::max(smax, scale[ib]);
        }
        b[i].d = f32_to_f16(smax / 31);
        float d = f16_to_f32(b[i].d);
        b[i].scales_h = 0;
        std::memset(b[i].scales_l, 0, sizeof(b[i].scales_l));
        for (int ib = 0; ib < 8; ++ib) {
          int ls = d > 0 ? clamp_round(scale[ib] / d, 0, 31) + 32 : 32;
          b[i].scales_l[ib / 2] |= static_cast<uint8_t>((ls & 0xF) << 4 * (ib % 2));
          b[i].scales_h |= static_cast<uint16_t>((ls >> 4) << 2 * ib);
          float dl = d * static_cast<float>(ls - 32), id = dl > 0 ? 1 / dl : 0;
          uint8_t* qs = b[i].qs + 16 * ib;
          for (int j = 0; j < 16; ++j)
            qs[j] = static_cast<uint8_t>(nearest_iq4(x[32 * ib + j] * id) | nearest_iq4(x[32 * ib + j + 16] * id) << 4);
        }
      }
      return true;
    }
    default:
      return false;
  }
}

} // namespace rbee::kernels
