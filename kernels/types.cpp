#include "kernels/types.hpp"

#include "kernels/k_scales.hpp"
#include "kernels/status.hpp"
#include "kernels/types_low.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

namespace rbee::kernels {

namespace {

const dtype_info table[] = {
  {"f32", 1, 4, true},    {"f16", 1, 2, true},    {"q4_0", 32, 18, true}, {"q4_1", 32, 20, true},
  {"", 0, 0, false},      {"", 0, 0, false},      {"q5_0", 32, 22, true}, {"q5_1", 32, 24, true},
  {"q8_0", 32, 34, true}, {"q8_1", 32, 36, false}, {"q2_k", 256, 84, true}, {"q3_k", 256, 110, true},
  {"q4_k", 256, 144, true}, {"q5_k", 256, 176, true}, {"q6_k", 256, 210, true}, {"q8_k", 256, 292, false},
  // The i-quants (named, so a file of an unsupported one says which), then ggml's integer and f64 types.
  {"iq2_xxs", 256, 66, false}, {"iq2_xs", 256, 74, false}, {"iq3_xxs", 256, 98, false}, {"iq1_s", 256, 50, false},
  {"iq4_nl", 32, 18, true}, {"iq3_s", 256, 110, false}, {"iq2_s", 256, 82, false}, {"iq4_xs", 256, 136, true},
  {"i8", 1, 1, false}, {"i16", 1, 2, false}, {"i32", 1, 4, false}, {"i64", 1, 8, false}, {"f64", 1, 8, false},
  {"iq1_m", 256, 56, false},
};
const dtype_info bf16_info{"bf16", 1, 2, true};
const dtype_info mxfp4_info{"mxfp4", 32, 17, true};

} // namespace

std::string supported_types() {
  std::string out;
  for (auto& t : table)
    if (t.supported) out += (out.empty() ? "" : ", ") + std::string(t.name);
  return out + ", " + std::string(bf16_info.name) + ", " + std::string(mxfp4_info.name);
}

const dtype_info* info(uint32_t raw) {
  if (raw == 30) return &bf16_info;
  if (raw == 39) return &mxfp4_info;
  if (raw < std::size(table) && table[raw].block) return &table[raw];
  return nullptr;
}

const dtype_info& info(dtype t) {
  return *info(static_cast<uint32_t>(t));
}

std::string_view name(dtype t) {
  return info(t).name;
}

size_t row_bytes(dtype t, uint64_t n) {
  const auto& i = info(t);
  if (n % i.block) throw kernel_error("a row of " + std::to_string(n) + " elements is not a multiple of the " +
                                      std::string(i.name) + " block size " + std::to_string(i.block));
  return static_cast<size_t>(n / i.block * i.bytes);
}

// -- half and bfloat16 ---------------------------------------------------------

float f16_to_f32(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else { // subnormal: normalise
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400) == 0);
      bits = sign | static_cast<uint32_t>(127 - 15 - e) << 23 | (mant & 0x3ff) << 13;
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | mant << 13;
  } else {
    bits = sign | (exp + 127 - 15) << 23 | mant << 13;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t f32_to_f16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000;
  uint32_t exp = (x >> 23) & 0xff;
  uint32_t mant = x & 0x7fffff;
  if (exp == 0xff) return static_cast<uint16_t>(sign | 0x7c00 | (mant ? 0x200 : 0));
  int e = static_cast<int>(exp) - 127 + 15;
  if (e >= 31) return static_cast<uint16_t>(sign | 0x7c00);
  if (e <= 0) {
    if (e < -10) return static_cast<uint16_t>(sign);
    mant |= 0x800000;
    uint32_t shift = static_cast<uint32_t>(14 - e);
    uint32_t half = mant >> shift;
    uint32_t rem = mant & ((1u << shift) - 1);
    uint32_t mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1))) ++half;
    return static_cast<uint16_t>(sign | half);
  }
  uint32_t half = sign | static_cast<uint32_t>(e) << 10 | mant >> 13;
  uint32_t rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) ++half; // may carry into the exponent: correct
  return static_cast<uint16_t>(half);
}

uint16_t f32_to_bf16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  if ((x & 0x7fffffff) > 0x7f800000) return static_cast<uint16_t>((x >> 16) | 64); // quiet NaN
  return static_cast<uint16_t>((x + (0x7fff + ((x >> 16) & 1))) >> 16);
}

// -- K-quant scale packing -------------------------------------------------------

namespace {

void pack_scales_k4(const uint8_t* sc, const uint8_t* m, uint8_t* out) {
  for (int j = 0; j < 4; ++j) {
    out[j] = sc[j];
    out[j + 4] = m[j];
  }
  for (int j = 4; j < 8; ++j) {
    out[j + 4] = static_cast<uint8_t>((sc[j] & 0xF) | ((m[j] & 0xF) << 4));
    out[j - 4] |= static_cast<uint8_t>((sc[j] >> 4) << 6);
    out[j] |= static_cast<uint8_t>((m[j] >> 4) << 6);
  }
}

int nearest(float x) {
  return static_cast<int>(std::lround(x));
}

/// Q4_K / Q5_K: per 32-element sub-block a scale and a min, both 6-bit.
template <int Levels>
void quantize_kx(const float* x, uint16_t& d_out, uint16_t& dmin_out, uint8_t* scales, uint8_t* q) {
  float sub_scale[8], sub_min[8];
  for (int j = 0; j < 8; ++j) {
    float lo = 0, hi = 0;
    for (int l = 0; l < 32; ++l) {
      lo = std::min(lo, x[32 * j + l]);
      hi = std::max(hi, x[32 * j + l]);
    }
    sub_scale[j] = (hi - lo) / (Levels - 1);
    sub_min[j] = -lo;
  }
  float max_scale = *std::max_element(sub_scale, sub_scale + 8);
  float max_min = *std::max_element(sub_min, sub_min + 8);
  float d = max_scale / 63, dmin = max_min / 63;
  d_out = f32_to_f16(d);
  dmin_out = f32_to_f16(dmin);
  d = f16_to_f32(d_out);
  dmin = f16_to_f32(dmin_out);
  uint8_t sc[8], mn[8];
  for (int j = 0; j < 8; ++j) {
    sc[j] = static_cast<uint8_t>(std::clamp(d > 0 ? nearest(sub_scale[j] / d) : 0, 0, 63));
    mn[j] = static_cast<uint8_t>(std::clamp(dmin > 0 ? nearest(sub_min[j] / dmin) : 0, 0, 63));
  }
  std::memset(scales, 0, 12);
  pack_scales_k4(sc, mn, scales);
  for (int j = 0; j < 8; ++j) {
    float s = d * sc[j], m = dmin * mn[j];
    for (int l = 0; l < 32; ++l)
      q[32 * j + l] = static_cast<uint8_t>(std::clamp(s > 0 ? nearest((x[32 * j + l] + m) / s) : 0, 0, Levels - 1));
  }
}

} // namespace

// -- reference dequantization ----------------------------------------------------------

void dequantize_row(dtype t, const void* src, float* y, size_t n) {
  switch (t) {
    case dtype::f32:
      std::memcpy(y, src, n * 4);
      return;
    case dtype::f16: {
      auto* s = static_cast<const uint16_t*>(src);
      for (size_t i = 0; i < n; ++i) y[i] = f16_to_f32(s[i]);
      return;
    }
    case dtype::bf16: {
      auto* s = static_cast<const uint16_t*>(src);
      for (size_t i = 0; i < n; ++i) y[i] = bf16_to_f32(s[i]);
      return;
    }
    case dtype::q8_0: {
      auto* b = static_cast<const block_q8_0*>(src);
      for (size_t i = 0; i < n / 32; ++i) {
        float d = f16_to_f32(b[i].d);
        for (int j = 0; j < 32; ++j) y[32 * i + j] = d * b[i].qs[j];
      }
      return;
    }
    case dtype::q4_0: {
      auto* b = static_cast<const block_q4_0*>(src);
      for (size_t i = 0; i < n / 32; ++i) {
        float d = f16_to_f32(b[i].d);
        for (int j = 0; j < 16; ++j) {
          y[32 * i + j] = d * ((b[i].qs[j] & 0xF) - 8);
          y[32 * i + j + 16] = d * ((b[i].qs[j] >> 4) - 8);
        }
      }
      return;
    }
    case dtype::q4_1: { // x = d * q + m, q in 0..15
      auto* b = static_cast<const block_q4_1*>(src);
      for (size_t i = 0; i < n / 32; ++i) {
        float d = f16_to_f32(b[i].d), m = f16_to_f32(b[i].m);
        for (int j = 0; j < 16; ++j) {
          y[32 * i + j] = d * (b[i].qs[j] & 0xF) + m;
          y[32 * i + j + 16] = d * (b[i].qs[j] >> 4) + m;
        }
      }
      return;
    }
    case dtype::q5_0:
    case dtype::q5_1: { // 5-bit q: four low bits in qs, the fifth in qh (bit j for q_j); q5_0 centred, q5_1 with a min
      bool one = t == dtype::q5_1;
      auto* base = static_cast<const uint8_t*>(src);
      size_t bytes = one ? sizeof(block_q5_1) : sizeof(block_q5_0);
      for (size_t i = 0; i < n / 32; ++i) {
        const uint8_t* b = base + i * bytes;
        uint16_t dh, mh = 0;
        std::memcpy(&dh, b, 2);
        if (one) std::memcpy(&mh, b + 2, 2);
        const uint8_t* qhp = b + (one ? 4 : 2);
        const uint8_t* qs = qhp + 4;
        uint32_t qh = static_cast<uint32_t>(qhp[0]) | static_cast<uint32_t>(qhp[1]) << 8 |
                      static_cast<uint32_t>(qhp[2]) << 16 | static_cast<uint32_t>(qhp[3]) << 24;
        float d = f16_to_f32(dh), m = one ? f16_to_f32(mh) : 0.f;
        int centre = one ? 0 : 16;
        for (int j = 0; j < 16; ++j) {
          int q0 = (qs[j] & 0xF) | static_cast<int>((qh >> j) & 1) << 4;
          int q1 = (qs[j] >> 4) | static_cast<int>((qh >> (j + 16)) & 1) << 4;
          y[32 * i + j] = d * (q0 - centre) + m;
          y[32 * i + j + 16] = d * (q1 - centre) + m;
        }
      }
      return;
    }
    case dtype::q4_k: {
      auto* b = static_cast<const block_q4_k*>(src);
      for (size_t i = 0; i < n / 256; ++i, y += 256) {
        float d = f16_to_f32(b[i].d), dmin = f16_to_f32(b[i].dmin);
        uint8_t scs[8], mns[8];
        unpack_scales_k4(b[i].scales, scs, mns);
        const uint8_t* q = b[i].qs;
        for (int j = 0; j < 4; ++j, q += 32) {
          float d1 = d * scs[2 * j], m1 = dmin * mns[2 * j];
          float d2 = d * scs[2 * j + 1], m2 = dmin * mns[2 * j + 1];
          for (int l = 0; l < 32; ++l) y[64 * j + l] = d1 * (q[l] & 0xF) - m1;
          for (int l = 0; l < 32; ++l) y[64 * j + 32 + l] = d2 * (q[l] >> 4) - m2;
        }
      }
      return;
    }
    case dtype::q5_k: {
      auto* b = static_cast<const block_q5_k*>(src);
      for (size_t i = 0; i < n / 256; ++i, y += 256) {
        float d = f16_to_f32(b[i].d), dmin = f16_to_f32(b[i].dmin);
        uint8_t scs[8], mns[8];
        unpack_scales_k4(b[i].scales, scs, mns);
        const uint8_t* ql = b[i].qs;
        const uint8_t* qh = b[i].qh;
        uint8_t u1 = 1, u2 = 2;
        for (int j = 0; j < 4; ++j, ql += 32, u1 <<= 2, u2 <<= 2) {
          float d1 = d * scs[2 * j], m1 = dmin * mns[2 * j];
          float d2 = d * scs[2 * j + 1], m2 = dmin * mns[2 * j + 1];
          for (int l = 0; l < 32; ++l) y[64 * j + l] = d1 * ((ql[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - m1;
          for (int l = 0; l < 32; ++l) y[64 * j + 32 + l] = d2 * ((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
        }
      }
      return;
    }
    case dtype::q6_k: {
      auto* b = static_cast<const block_q6_k*>(src);
      for (size_t i = 0; i < n / 256; ++i) {
        float d = f16_to_f32(b[i].d);
        const uint8_t* ql = b[i].ql;
        const uint8_t* qh = b[i].qh;
        const int8_t* sc = b[i].scales;
        for (int h = 0; h < 2; ++h, y += 128, ql += 64, qh += 32, sc += 8) {
          for (int l = 0; l < 32; ++l) {
            int is = l / 16;
            int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
            int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
            int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            y[l] = d * sc[is] * q1;
            y[l + 32] = d * sc[is + 2] * q2;
            y[l + 64] = d * sc[is + 4] * q3;
            y[l + 96] = d * sc[is + 6] * q4;
          }
        }
      }
      return;
    }
    default:
      if (dequantize_low(t, src, y, n)) return;
      throw kernel_error("tensor type " + std::string(name(t)) + " is not supported");
  }
}

// -- reference quantization --------------------------------------------------------------

void quantize_row(dtype t, const float* x, void* dst, size_t n) {
  switch (t) {
    case dtype::f32:
      std::memcpy(dst, x, n * 4);
      return;
    case dtype::f16: {
      auto* d = static_cast<uint16_t*>(dst);
      for (size_t i = 0; i < n; ++i) d[i] = f32_to_f16(x[i]);
      return;
    }
    case dtype::bf16: {
      auto* d = static_cast<uint16_t*>(dst);
      for (size_t i = 0; i < n; ++i) d[i] = f32_to_bf16(x[i]);
      return;
    }
    case dtype::q8_0: {
      auto* b = static_cast<block_q8_0*>(dst);
      for (size_t i = 0; i < n / 32; ++i, x += 32) {
        float amax = 0;
        for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[j]));
        float d = amax / 127;
        b[i].d = f32_to_f16(d);
        float id = d ? 1 / d : 0;
        for (int j = 0; j < 32; ++j) b[i].qs[j] = static_cast<int8_t>(nearest(x[j] * id));
      }
      return;
    }
    case dtype::q4_0: {
      auto* b = static_cast<block_q4_0*>(dst);
      for (size_t i = 0; i < n / 32; ++i, x += 32) {
        float amax = 0, max = 0;
        for (int j = 0; j < 32; ++j)
          if (std::fabs(x[j]) > amax) {
            amax = std::fabs(x[j]);
            max = x[j];
          }
        float d = max / -8;
        b[i].d = f32_to_f16(d);
        float id = d ? 1 / d : 0;
        for (int j = 0; j < 16; ++j) {
          int lo = std::min(15, static_cast<int>(x[j] * id + 8.5f));
          int hi = std::min(15, static_cast<int>(x[j + 16] * id + 8.5f));
          b[i].qs[j] = static_cast<uint8_t>(std::max(0, lo) | std::max(0, hi) << 4);
        }
      }
      return;
    }
    case dtype::q4_1:
    case dtype::q5_1: { // as ggml's reference: the block's min, d = (max - min) / (2^bits - 1)
      bool five = t == dtype::q5_1;
      auto* out = static_cast<uint8_t*>(dst);
      size_t bytes = five ? sizeof(block_q5_1) : sizeof(block_q4_1);
      for (size_t i = 0; i < n / 32; ++i, x += 32, out += bytes) {
        float lo = x[0], hi = x[0];
        for (int j = 1; j < 32; ++j) lo = std::min(lo, x[j]), hi = std::max(hi, x[j]);
        float d = (hi - lo) / (five ? 31 : 15), id = d ? 1 / d : 0;
        uint16_t dh = f32_to_f16(d), mh = f32_to_f16(lo);
        std::memcpy(out, &dh, 2);
        std::memcpy(out + 2, &mh, 2);
        uint8_t* qs = out + (five ? 8 : 4);
        uint32_t qh = 0;
        for (int j = 0; j < 16; ++j) {
          int q0 = std::min(five ? 31 : 15, static_cast<int>((x[j] - lo) * id + 0.5f));
          int q1 = std::min(five ? 31 : 15, static_cast<int>((x[j + 16] - lo) * id + 0.5f));
          qs[j] = static_cast<uint8_t>((q0 & 0xF) | (q1 & 0xF) << 4);
          qh |= static_cast<uint32_t>((q0 >> 4) & 1) << j | static_cast<uint32_t>((q1 >> 4) & 1) << (j + 16);
        }
        if (five)
          for (int k = 0; k < 4; ++k) out[4 + k] = static_cast<uint8_t>(qh >> (8 * k));
      }
      return;
    }
    case dtype::q5_0: { // as ggml's reference: d = the value of largest magnitude / -16
      auto* b = static_cast<block_q5_0*>(dst);
      for (size_t i = 0; i < n / 32; ++i, x += 32) {
        float amax = 0, max = 0;
        for (int j = 0; j < 32; ++j)
          if (std::fabs(x[j]) > amax) amax = std::fabs(x[j]), max = x[j];
        float d = max / -16, id = d ? 1 / d : 0;
        b[i].d = f32_to_f16(d);
        uint32_t qh = 0;
        for (int j = 0; j < 16; ++j) {
          int q0 = std::min(31, static_cast<int>(x[j] * id + 16.5f));
          int q1 = std::min(31, static_cast<int>(x[j + 16] * id + 16.5f));
          b[i].qs[j] = static_cast<uint8_t>((q0 & 0xF) | (q1 & 0xF) << 4);
          qh |= static_cast<uint32_t>((q0 >> 4) & 1) << j | static_cast<uint32_t>((q1 >> 4) & 1) << (j + 16);
        }
        for (int k = 0; k < 4; ++k) b[i].qh[k] = static_cast<uint8_t>(qh >> (8 * k));
      }
      return;
    }
    case dtype::q4_k: {
      auto* b = static_cast<block_q4_k*>(dst);
      for (size_t i = 0; i < n / 256; ++i, x += 256) {
        uint8_t q[256];
        quantize_kx<16>(x, b[i].d, b[i].dmin, b[i].scales, q);
        for (int j = 0; j < 4; ++j)
          for (int l = 0; l < 32; ++l)
            b[i].qs[32 * j + l] = static_cast<uint8_t>(q[64 * j + l] | q[64 * j + 32 + l] << 4);
      }
      return;
    }
    case dtype::q5_k: {
      auto* b = static_cast<block_q5_k*>(dst);
      for (size_t i = 0; i < n / 256; ++i, x += 256) {
        uint8_t q[256];
        quantize_kx<32>(x, b[i].d, b[i].dmin, b[i].scales, q);
        std::memset(b[i].qh, 0, 32);
        for (int j = 0; j < 4; ++j)
          for (int l = 0; l < 32; ++l) {
            uint8_t lo = q[64 * j + l], hi = q[64 * j + 32 + l];
            b[i].qs[32 * j + l] = static_cast<uint8_t>((lo & 0xF) | (hi & 0xF) << 4);
            if (lo & 16) b[i].qh[l] |= static_cast<uint8_t>(1u << (2 * j));
            if (hi & 16) b[i].qh[l] |= static_cast<uint8_t>(1u << (2 * j + 1));
          }
      }
      return;
    }
    case dtype::q6_k: {
      auto* b = static_cast<block_q6_k*>(dst);
      for (size_t i = 0; i < n / 256; ++i, x += 256) {
        float sub[16], amax_all = 0;
        for (int s = 0; s < 16; ++s) {
          float amax = 0, max = 0;
          for (int l = 0; l < 16; ++l)
            if (std::fabs(x[16 * s + l]) > amax) {
              amax = std::fabs(x[16 * s + l]);
              max = x[16 * s + l];
            }
          sub[s] = max / -32;
          amax_all = std::max(amax_all, std::fabs(sub[s]));
        }
        float d = amax_all / 127;
        b[i].d = f32_to_f16(d);
        d = f16_to_f32(b[i].d);
        int q[256];
        for (int s = 0; s < 16; ++s) {
          b[i].scales[s] = static_cast<int8_t>(std::clamp(d > 0 ? nearest(sub[s] / d) : 0, -127, 127));
          float sd = d * b[i].scales[s];
          for (int l = 0; l < 16; ++l)
            q[16 * s + l] = std::clamp(sd != 0 ? nearest(x[16 * s + l] / sd) : 0, -32, 31) + 32;
        }
        std::memset(b[i].qh, 0, 64);
        for (int h = 0; h < 2; ++h) {
          uint8_t* ql = b[i].ql + 64 * h;
          uint8_t* qh = b[i].qh + 32 * h;
          const int* qq = q + 128 * h;
          for (int l = 0; l < 32; ++l) {
            ql[l] = static_cast<uint8_t>((qq[l] & 0xF) | (qq[l + 64] & 0xF) << 4);
            ql[l + 32] = static_cast<uint8_t>((qq[l + 32] & 0xF) | (qq[l + 96] & 0xF) << 4);
            qh[l] = static_cast<uint8_t>((qq[l] >> 4) | (qq[l + 32] >> 4) << 2 | (qq[l + 64] >> 4) << 4 |
                                         (qq[l + 96] >> 4) << 6);
          }
        }
      }
      return;
    }
    default:
      if (quantize_low(t, x, dst, n)) return;
      throw kernel_error("cannot quantize to " + std::string(name(t)));
  }
}

} // namespace rbee::kernels
