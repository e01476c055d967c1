#pragma once
// Vector dot products with AVX2 (+FMA, F16C; VNNI in the AVX-512 set).
// Part of a kernel set compiled once per instruction set (kernel_set_impl.hpp):
// only static functions, in namespace RBEE_ISA.

#include "kernels/cpu/arch/x86/simd.hpp"
#include "kernels/cpu/quants/dots.hpp"

#if defined(__AVX2__)
namespace rbee::kernels::cpu::RBEE_ISA {

namespace x86 {

static float dot_q8_0(const void* wv, const act_q8_0* x, int nb) {
  auto* w = static_cast<const block_q8_0*>(wv);
  int b = 0;
  float sum = 0;
  // Four independent accumulators: the FMA latency, not the loads, bounds one chain.
  __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
  for (; b + 4 <= nb; b += 4) {
    prefetch_ahead(w + b, 4 * sizeof(block_q8_0));
    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(half(w[b].d) * x[b].d), block_q8_0_f(w[b], x[b]), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_set1_ps(half(w[b + 1].d) * x[b + 1].d), block_q8_0_f(w[b + 1], x[b + 1]), acc1);
    acc2 = _mm256_fmadd_ps(_mm256_set1_ps(half(w[b + 2].d) * x[b + 2].d), block_q8_0_f(w[b + 2], x[b + 2]), acc2);
    acc3 = _mm256_fmadd_ps(_mm256_set1_ps(half(w[b + 3].d) * x[b + 3].d), block_q8_0_f(w[b + 3], x[b + 3]), acc3);
  }
  for (; b < nb; ++b) acc0 = _mm256_fmadd_ps(_mm256_set1_ps(half(w[b].d) * x[b].d), block_q8_0_f(w[b], x[b]), acc0);
  sum = hsum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
  for (; b < nb; ++b) {
    int s = 0;
    for (int i = 0; i < 32; ++i) s += w[b].qs[i] * x[b].qs[i];
    sum += half(w[b].d) * x[b].d * static_cast<float>(s);
  }
  return sum;
}

static float dot_q4_0(const void* wv, const act_q8_0* x, int nb) {
  auto* w = static_cast<const block_q4_0*>(wv);
  int b = 0;
  float sum = 0;
  __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
  for (; b + 4 <= nb; b += 4) {
    prefetch_ahead(w + b, 4 * sizeof(block_q4_0));
    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(half(w[b].d) * x[b].d), block_q4_0_f(w[b], x[b]), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_set1_ps(half(w[b + 1].d) * x[b + 1].d), block_q4_0_f(w[b + 1], x[b + 1]), acc1);
    acc2 = _mm256_fmadd_ps(_mm256_set1_ps(half(w[b + 2].d) * x[b + 2].d), block_q4_0_f(w[b + 2], x[b + 2]), acc2);
    acc3 = _mm256_fmadd_ps(_mm256_set1_ps(half(w[b + 3].d) * x[b + 3].d), block_q4_0_f(w[b + 3], x[b + 3]), acc3);
  }
  for (; b < nb; ++b) acc0 = _mm256_fmadd_ps(_mm256_set1_ps(half(w[b].d) * x[b].d), block_q4_0_f(w[b], x[b]), acc0);
  sum = hsum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
  for (; b < nb; ++b) {
    int s = 0;
    for (int i = 0; i < 16; ++i) {
      s += ((w[b].qs[i] & 0xF) - 8) * x[b].qs[i];
      s += ((w[b].qs[i] >> 4) - 8) * x[b].qs[i + 16];
    }
    sum += half(w[b].d) * x[b].d * static_cast<float>(s);
  }
  return sum;
}

/// 32 table-coded 4-bit weights (a signed 16-entry table) times 32 int8 activations: 8
/// int32 sums (|w| as unsigned times x with w's sign, since the table is signed).
static inline __m256i table4_dot(const uint8_t* qs, const int8_t* table, const int8_t* xq) {
  __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  __m256i idx = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), _mm256_set1_epi8(0x0F));
  __m256i w = _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(table))), idx);
  __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq));
  return dot_u8s8(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
}

template <class Block, class Scale>
static float dot_table4(const Block* w, const act_q8_0* x, int nb, const int8_t* table, Scale scale) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0;
  int b = 0;
  for (; b + 2 <= nb; b += 2) {
    prefetch_ahead(w + b, 2 * sizeof(Block));
    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(scale(w[b]) * x[b].d), _mm256_cvtepi32_ps(table4_dot(w[b].qs, table, x[b].qs)), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_set1_ps(scale(w[b + 1]) * x[b + 1].d),
                           _mm256_cvtepi32_ps(table4_dot(w[b + 1].qs, table, x[b + 1].qs)), acc1);
  }
  for (; b < nb; ++b)
    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(scale(w[b]) * x[b].d), _mm256_cvtepi32_ps(table4_dot(w[b].qs, table, x[b].qs)), acc0);
  return hsum(_mm256_add_ps(acc0, acc1));
}

static float dot_iq4_nl(const void* wv, const act_q8_0* x, int nb) {
  return dot_table4(static_cast<const block_iq4_nl*>(wv), x, nb, iq4nl_table, [](const block_iq4_nl& b) { return half(b.d); });
}

static float dot_iq4_xs(const void* wv, const act_q8_0* x, int nb) {
  auto* w = static_cast<const block_iq4_xs*>(wv);
  __m256 acc = _mm256_setzero_ps();
  for (int b = 0; b < nb / 8; ++b) {
    prefetch_ahead(w + b, sizeof(block_iq4_xs));
    float d = half(w[b].d);
    for (int ib = 0; ib < 8; ++ib) {
      const act_q8_0& a = x[8 * b + ib];
      int ls = ((w[b].scales_l[ib / 2] >> 4 * (ib % 2)) & 0xF) | ((w[b].scales_h >> 2 * ib) & 3) << 4;
      acc = _mm256_fmadd_ps(_mm256_set1_ps(d * static_cast<float>(ls - 32) * a.d),
                            _mm256_cvtepi32_ps(table4_dot(w[b].qs + 16 * ib, iq4nl_table, a.qs)), acc);
    }
  }
  return hsum(acc);
}

static float dot_mxfp4(const void* wv, const act_q8_0* x, int nb) {
  return dot_table4(static_cast<const block_mxfp4*>(wv), x, nb, mxfp4_table, [](const block_mxfp4& b) { return e8m0_half(b.e); });
}

static float dot_q4_k(const void* wv, const act_q8_k* x, int nb) {
  auto* w = static_cast<const block_q4_k*>(wv);
  float sum = 0;
  for (int b = 0; b < nb; ++b) {
    prefetch_ahead(w + b, sizeof(block_q4_k));
    uint8_t sc[8], m[8];
    unpack_scales_k4(w[b].scales, sc, m);
    int summ = 0;
    for (int j = 0; j < 8; ++j) summ += m[j] * (x[b].bsums[2 * j] + x[b].bsums[2 * j + 1]);
    int isum = 0;
    const __m256i low = _mm256_set1_epi8(0x0F);
    __m256i acc = _mm256_setzero_si256();
    for (int c = 0; c < 4; ++c) {
      __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b].qs + 32 * c));
      __m256i lo = _mm256_and_si256(q, low), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low);
      __m256i a0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qs + 64 * c));
      __m256i a1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qs + 64 * c + 32));
      // u8 x s8 pairs to int16 (at most 2 x 15 x 127), then x scale and pairs summed to int32
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(lo, a0), _mm256_set1_epi16(sc[2 * c])));
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(hi, a1), _mm256_set1_epi16(sc[2 * c + 1])));
    }
    isum = hsum_i32(acc);
    sum += x[b].d * (half(w[b].d) * static_cast<float>(isum) - half(w[b].dmin) * static_cast<float>(summ));
  }
  return sum;
}

static float dot_q6_k(const void* wv, const act_q8_k* x, int nb) {
  auto* w = static_cast<const block_q6_k*>(wv);
  float sum = 0;
  for (int b = 0; b < nb; ++b) {
    prefetch_ahead(w + b, sizeof(block_q6_k));
    // The -32 offset: sum_s scale_s * 32 * bsum_s.
    int off = 0;
    for (int s = 0; s < 16; ++s) off += w[b].scales[s] * x[b].bsums[s];
    int isum = 0;
    const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(3);
    __m256i acc = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      const uint8_t* ql = w[b].ql + 64 * h;
      const uint8_t* qh = w[b].qh + 32 * h;
      const int8_t* sc = w[b].scales + 8 * h;
      const int8_t* a = x[b].qs + 128 * h;
      __m256i l0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql));
      __m256i l1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql + 32));
      __m256i hb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qh));
      __m256i q[4] = {
        _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_slli_epi16(_mm256_and_si256(hb, m2), 4)),
        _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 2), m2), 4)),
        _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4),
                        _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 4), m2), 4)),
        _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                        _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 6), m2), 4)),
      };
      for (int k = 0; k < 4; ++k) {
        // u8 (0..63) x s8 pairs to int16 (at most 2 x 63 x 127); low 128 bits are
        // elements 0-15 (scale 2k), high 128 bits elements 16-31 (scale 2k+1)
        __m256i p = _mm256_maddubs_epi16(q[k], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + 32 * k)));
        __m256i s = _mm256_set_m128i(_mm_set1_epi16(sc[2 * k + 1]), _mm_set1_epi16(sc[2 * k]));
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p, s));
      }
    }
    isum = hsum_i32(acc);
    sum += half(w[b].d) * x[b].d * static_cast<float>(isum - 32 * off);
  }
  return sum;
}

static float dot_f32(const void* wv, const float* x, int n) {
  auto* w = static_cast<const float*>(wv);
  int i = 0;
  float sum = 0;
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
  for (; i + 16 <= n; i += 16) {
    prefetch_ahead(w + i, 64);
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
  }
  sum = hsum(_mm256_add_ps(a0, a1));
  for (; i < n; ++i) sum += w[i] * x[i];
  return sum;
}

static float dot_f16(const void* wv, const float* x, int n) {
  auto* w = static_cast<const uint16_t*>(wv);
  int i = 0;
  float sum = 0;
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
  for (; i + 16 <= n; i += 16) {
    prefetch_ahead(w + i, 32);
    __m256 w0 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i)));
    __m256 w1 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i + 8)));
    a0 = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x + i), a0);
    a1 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + i + 8), a1);
  }
  sum = hsum(_mm256_add_ps(a0, a1));
  for (; i < n; ++i) sum += half(w[i]) * x[i];
  return sum;
}

static float dot_bf16(const void* wv, const float* x, int n) {
  auto* w = static_cast<const uint16_t*>(wv);
  int i = 0;
  float sum = 0;
  __m256 a0 = _mm256_setzero_ps();
  for (; i + 8 <= n; i += 8) {
    __m256i h = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i)));
    a0 = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_slli_epi32(h, 16)), _mm256_loadu_ps(x + i), a0);
  }
  sum = hsum(a0);
  for (; i < n; ++i) sum += bf16_to_f32(w[i]) * x[i];
  return sum;
}

/// One Q4_0 weight row against 4 activation rows (prompt processing): each
/// weight block is unpacked once for the 4 tokens. out[t] = dot(w, x[t]).
static void dot4_q4_0(const void* wv, const act_q8_0* const* x, int nb, float* out) {
  auto* w = static_cast<const block_q4_0*>(wv);
  __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
  const __m256i low = _mm256_set1_epi8(0x0F);
  const act_q8_0 *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3];
  auto one = [](__m256i q, const act_q8_0& a) {
    __m256i bias = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.bias));
    return _mm256_cvtepi32_ps(dot_u8s8_acc(bias, q, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.qs))));
  };
  for (int b = 0; b < nb; ++b) {
    prefetch_ahead(w + b, sizeof(block_q4_0));
    __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w[b].qs));
    __m256i q = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), low);
    float dw = half(w[b].d);
    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(dw * x0[b].d), one(q, x0[b]), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_set1_ps(dw * x1[b].d), one(q, x1[b]), acc1);
    acc2 = _mm256_fmadd_ps(_mm256_set1_ps(dw * x2[b].d), one(q, x2[b]), acc2);
    acc3 = _mm256_fmadd_ps(_mm256_set1_ps(dw * x3[b].d), one(q, x3[b]), acc3);
  }
  out[0] = hsum(acc0);
  out[1] = hsum(acc1);
  out[2] = hsum(acc2);
  out[3] = hsum(acc3);
}

/// One Q8_0 weight row against 4 activation rows.
static void dot4_q8_0(const void* wv, const act_q8_0* const* x, int nb, float* out) {
  auto* w = static_cast<const block_q8_0*>(wv);
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  for (int b = 0; b < nb; ++b) {
    prefetch_ahead(w + b, sizeof(block_q8_0));
    __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b].qs));
    __m256i aq = _mm256_sign_epi8(q, q);
    float dw = half(w[b].d);
    for (int t = 0; t < 4; ++t) {
      __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[t][b].qs));
      __m256 p = _mm256_cvtepi32_ps(dot_u8s8(aq, _mm256_sign_epi8(a, q)));
      acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(dw * x[t][b].d), p, acc[t]);
    }
  }
  for (int t = 0; t < 4; ++t) out[t] = hsum(acc[t]);
}

/// Reads `bytes` (a multiple of 128) as fast as possible; returns a checksum.
static uint64_t read_bytes(const void* p, size_t bytes) {
  auto* c = static_cast<const uint8_t*>(p);
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i + 128 <= bytes; i += 128) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i) + RBEE_PREFETCH, _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i) + RBEE_PREFETCH + 64, _MM_HINT_T0);
    a0 = _mm256_xor_si256(a0, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + i)));
    a1 = _mm256_xor_si256(a1, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + i + 32)));
    a2 = _mm256_xor_si256(a2, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + i + 64)));
    a3 = _mm256_xor_si256(a3, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + i + 96)));
  }
  __m256i x = _mm256_xor_si256(_mm256_xor_si256(a0, a1), _mm256_xor_si256(a2, a3));
  return static_cast<uint64_t>(_mm256_extract_epi64(x, 0) ^ _mm256_extract_epi64(x, 3));
}

/// The int8 multiply-accumulate peak's microkernel: 8 independent accumulators, no
/// memory traffic. AVX-512 VNNI: vpdpbusd (64 MACs each); AVX2: vpmaddubsw + vpmaddwd +
/// vpaddd (32 MACs per three), the sequence the AVX2 kernels use. Returns the MACs done.
static uint64_t int8_macs(uint64_t rounds, int32_t* sink) {
#if defined(__AVX512VNNI__) && defined(__AVX512BW__)
  __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(5);
  __m512i c[8];
  for (auto& x : c) x = _mm512_setzero_si512();
  for (uint64_t r = 0; r < rounds; ++r) {
    for (auto& x : c) x = _mm512_dpbusd_epi32(x, a, b);
    a = _mm512_add_epi8(a, b); // one dependent op a round: the compiler cannot fold the loop
  }
  __m512i x = c[0];
  for (int j = 1; j < 8; ++j) x = _mm512_xor_si512(x, c[j]);
  alignas(64) int32_t lanes[16]; // (not _mm512_reduce_add_epi32: GCC 12 warns inside it, bug 105593)
  _mm512_store_si512(lanes, x);
  *sink = lanes[0] ^ lanes[15];
  return rounds * 8 * 64;
#else
  __m256i a = _mm256_set1_epi8(3), b = _mm256_set1_epi8(5), ones = _mm256_set1_epi16(1);
  __m256i c[8];
  for (auto& x : c) x = _mm256_setzero_si256();
  for (uint64_t r = 0; r < rounds; ++r) {
    for (auto& x : c) x = _mm256_add_epi32(x, _mm256_madd_epi16(_mm256_maddubs_epi16(a, b), ones));
    a = _mm256_add_epi8(a, b);
  }
  __m256i x = c[0];
  for (int j = 1; j < 8; ++j) x = _mm256_xor_si256(x, c[j]);
  *sink = _mm256_extract_epi32(x, 0);
  return rounds * 8 * 32;
#endif
}

// Kernels without an x86 version: the portable ones.
using generic::dot_q5_k;

} // namespace x86

} // namespace rbee::kernels::cpu::RBEE_ISA
#endif
