// Every fast path against the scalar reference, for every kernel set this CPU
// can run and every tensor type (like llama.cpp's test-backend-ops).
#include "kernels/bandwidth.hpp"
#include "kernels/cpu/huge_pages.hpp"
#include "kernels/cpu/quant_act.hpp"
#include "kernels/cpu/repack.hpp"
#include "kernels/ops.hpp"
#include "kernels/parallel.hpp"
#include "tests/kernels/kernels_test_util.hpp"

#include <gtest/gtest.h>

#include <cmath>

using namespace rbee::kernels;

namespace {

struct owned_weight {
  std::vector<uint8_t> bytes;
  weight w;
};

owned_weight make_weight(dtype t, int rows, int cols, uint32_t seed) {
  owned_weight o;
  auto v = rbee::test::random_floats(static_cast<size_t>(rows) * cols, seed, 0.05f);
  size_t rb = row_bytes(t, static_cast<uint64_t>(cols));
  o.bytes.resize(rb * rows);
  for (int r = 0; r < rows; ++r) quantize_row(t, &v[static_cast<size_t>(r) * cols], &o.bytes[rb * r], cols);
  o.w = weight{t, o.bytes.data(), rows, cols, rb};
  return o;
}

double rel_error(const std::vector<float>& a, const std::vector<float>& b) {
  double err = 0, ref = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    err += (a[i] - b[i]) * (a[i] - b[i]);
    ref += b[i] * b[i];
  }
  return std::sqrt(err / ref);
}

/// Activations are quantized to 8 bits for quantized weights: that is the tolerance.
double tolerance(dtype t) {
  return t == dtype::f32 ? 1e-5 : t == dtype::f16 || t == dtype::bf16 ? 1e-4 : 0.01;
}

} // namespace

class MatmulVsReference : public ::testing::TestWithParam<dtype> {};

TEST_P(MatmulVsReference, EveryKernelSet) {
  dtype t = GetParam();
  for (int n_tok : {1, 3, 9}) {
    auto w = make_weight(t, 37, 512, 11);
    auto x = rbee::test::random_floats(static_cast<size_t>(n_tok) * 512, 3);
    std::vector<float> ref(static_cast<size_t>(n_tok) * 37), out(ref.size());
    ops::ref_matmul(w.w, x.data(), n_tok, ref.data());
    for (auto* k : cpu::usable_kernels()) {
      std::fill(out.begin(), out.end(), NAN);
      cpu::matmul_with(*k, w.w, x.data(), n_tok, out.data());
      EXPECT_LT(rel_error(out, ref), tolerance(t)) << name(t) << " " << k->name << " n_tok " << n_tok;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, MatmulVsReference,
                         ::testing::Values(dtype::f32, dtype::f16, dtype::bf16, dtype::q8_0, dtype::q4_0,
                                           dtype::q4_k, dtype::q5_k, dtype::q6_k, dtype::q4_1, dtype::q5_0,
                                           dtype::q5_1, dtype::q2_k, dtype::q3_k, dtype::iq4_nl, dtype::iq4_xs,
                                           dtype::mxfp4),
                         [](const auto& info) { return std::string(name(info.param)); });

TEST(Ops, InterleavedWeightsMatchTheReference) {
  for (dtype t : {dtype::q4_0, dtype::q8_0, dtype::q4_k, dtype::q6_k}) {
    auto w = make_weight(t, 48, 512, 21);
    ASSERT_TRUE(cpu::can_repack(w.w));
    for (int rows : {8, 16}) {
    if (rows == 16 && t != dtype::q4_0) continue;
    auto packed = cpu::repack(w.w, rows);
    weight pw = w.w;
    pw.packed = packed.get();
    pw.packed_rows = rows;
    for (int n_tok : {1, 2, 3, 4, 5, 11, 19}) {
      auto x = rbee::test::random_floats(static_cast<size_t>(n_tok) * 512, 4);
      std::vector<float> ref(static_cast<size_t>(n_tok) * 48), out(ref.size());
      ops::ref_matmul(w.w, x.data(), n_tok, ref.data());
      for (auto* k : cpu::usable_kernels()) {
        std::fill(out.begin(), out.end(), NAN);
        cpu::matmul_with(*k, pw, x.data(), n_tok, out.data());
        EXPECT_LT(rel_error(out, ref), tolerance(t)) << name(t) << " " << k->name << " n_tok " << n_tok << " rows " << rows;
      }
    }
    }
  }
  EXPECT_FALSE(cpu::can_repack(make_weight(dtype::q4_0, 12, 64, 1).w)); // rows not a multiple of 8
  EXPECT_FALSE(cpu::can_repack(make_weight(dtype::q5_k, 16, 256, 1).w));
}

// The memory of the interleaved weights and the KV cache: 2 MiB-aligned, zero until written,
// its size rounded up to whole 2 MiB pages; moves hand it over; an impossible size is bad_alloc.
TEST(Ops, HugeRegions) {
  cpu::huge_region r(3 << 20);
  ASSERT_NE(r.data(), nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(r.data()) % (2u << 20), 0u);
  EXPECT_EQ(r.size(), size_t{4} << 20);
  for (size_t i = 0; i < r.size(); i += 4096) EXPECT_EQ(r.data()[i], 0) << i;
  r.data()[r.size() - 1] = 7;
  cpu::huge_region moved(std::move(r));
  EXPECT_EQ(r.data(), nullptr);
  EXPECT_EQ(moved.data()[moved.size() - 1], 7);
  cpu::huge_region other(1);
  other = std::move(moved);
  EXPECT_EQ(other.size(), size_t{4} << 20);
  EXPECT_EQ(cpu::huge_region(0).data(), nullptr);
  EXPECT_THROW(cpu::huge_region(size_t{1} << 62), std::bad_alloc);
  EXPECT_THROW(cpu::huge_region(~size_t{0}), std::bad_alloc);
}

TEST(Ops, AttendAndSwigluMatchTheReference) {
  const int hd = 64, stride = 64 * 3;
  for (int n_pos : {1, 7, 8, 100}) {
    auto q = rbee::test::random_floats(hd, 1);
    auto kv = rbee::test::random_floats(static_cast<size_t>(stride) * n_pos, 2);
    std::vector<float> scratch(static_cast<size_t>(n_pos)), ref(hd), out(hd);
    ops::ref_attend(q.data(), kv.data(), kv.data() + hd, n_pos, hd, stride, 0.125f, scratch.data(), ref.data());
    for (auto* k : cpu::usable_kernels()) {
      k->attend(q.data(), kv.data(), kv.data() + hd, n_pos, hd, stride, 0.125f, scratch.data(), out.data());
      EXPECT_LT(rel_error(out, ref), 1e-5) << k->name << " n_pos " << n_pos;
    }
  }
  // Over an F16 cache (odd head sizes too: the SIMD tails): each set against the reference,
  // and the reference within F16's rounding of the F32 one.
  for (int hd16 : {64, 37})
    for (int n_pos : {1, 9, 100}) {
      const size_t st = static_cast<size_t>(hd16) * 3;
      auto q = rbee::test::random_floats(static_cast<size_t>(hd16), 5);
      auto kv = rbee::test::random_floats(st * static_cast<size_t>(n_pos), 6);
      std::vector<uint16_t> kv16(kv.size());
      for (size_t i = 0; i < kv.size(); ++i) kv16[i] = f32_to_f16(kv[i]);
      std::vector<float> scratch(static_cast<size_t>(n_pos)), ref(static_cast<size_t>(hd16)), out(ref.size()), f32(ref.size());
      ops::ref_attend_f16(q.data(), kv16.data(), kv16.data() + hd16, n_pos, hd16, st, 0.125f, scratch.data(), ref.data());
      ops::ref_attend(q.data(), kv.data(), kv.data() + hd16, n_pos, hd16, st, 0.125f, scratch.data(), f32.data());
      EXPECT_LT(rel_error(ref, f32), 2e-3) << "hd " << hd16 << " n_pos " << n_pos;
      EXPECT_GT(rel_error(ref, f32), 0.0);
      for (auto* k : cpu::usable_kernels()) {
        k->attend_f16(q.data(), kv16.data(), kv16.data() + hd16, n_pos, hd16, st, 0.125f, scratch.data(), out.data());
        EXPECT_LT(rel_error(out, ref), 1e-5) << k->name << " hd " << hd16 << " n_pos " << n_pos;
      }
    }
  auto g = rbee::test::random_floats(203, 3, 4.f), u = rbee::test::random_floats(203, 4);
  auto ref = g;
  ops::ref_swiglu(ref.data(), u.data(), 203);
  for (auto* k : cpu::usable_kernels()) {
    auto out = g;
    k->swiglu(out.data(), u.data(), 203);
    EXPECT_LT(rel_error(out, ref), 1e-5) << k->name;
  }
  auto gref = g;
  ops::ref_geglu(gref.data(), u.data(), 203);
  for (auto* k : cpu::usable_kernels()) {
    auto out = g;
    k->geglu(out.data(), u.data(), 203);
    EXPECT_LT(rel_error(out, gref), 1e-5) << k->name << " geglu";
  }
}

TEST(Ops, AttentionTilesMatchTheReferenceRowByRow) {
  // 1 to 16 rows over one head's cache, each with its own window [lo, hi) (causal rows of a
  // prompt chunk, a sliding window), F32 and F16 caches, head sizes with SIMD tails.
  for (int hd : {64, 37, 128})
    for (int rows : {1, 2, 7, 16}) {
      const int n_pos = 300;
      const size_t stride = static_cast<size_t>(hd) * 2;
      auto kv = rbee::test::random_floats(stride * n_pos, 11);
      std::vector<uint16_t> kv16(kv.size());
      for (size_t i = 0; i < kv.size(); ++i) kv16[i] = f32_to_f16(kv[i]);
      auto qs = rbee::test::random_floats(static_cast<size_t>(rows) * hd, 12);
      std::vector<float> outs(qs.size()), refs(qs.size());
      const float* q[cpu::tile_rows];
      float* out[cpu::tile_rows];
      int lo[cpu::tile_rows], hi[cpu::tile_rows];
      for (int m = 0; m < rows; ++m) {
        q[m] = qs.data() + static_cast<size_t>(m) * hd;
        out[m] = outs.data() + static_cast<size_t>(m) * hd;
        hi[m] = 150 + 9 * m;                    // causal: later rows see more (at most 285 of 300)
        lo[m] = m % 3 == 2 ? hi[m] - 50 : 0;   // some rows slide
      }
      std::vector<float> scratch(cpu::attend_tile_scratch(hd, n_pos));
      float sk[cpu::tile_rows];
      for (int m = 0; m < rows; ++m) sk[m] = 0.5f * static_cast<float>(m) - 2.f; // gpt-oss's sinks: per head logits
      for (bool half : {false, true})
        for (bool with_sinks : {false, true}) {
          for (int m = 0; m < rows; ++m) {
            size_t at = stride * static_cast<size_t>(lo[m]);
            float sink = with_sinks ? sk[m] : -INFINITY;
            if (half)
              ops::ref_attend_f16(q[m], kv16.data() + at, kv16.data() + at + hd, hi[m] - lo[m], hd, stride, 0.1f,
                                  scratch.data(), refs.data() + static_cast<size_t>(m) * hd, sink);
            else
              ops::ref_attend(q[m], kv.data() + at, kv.data() + at + hd, hi[m] - lo[m], hd, stride, 0.1f, scratch.data(),
                              refs.data() + static_cast<size_t>(m) * hd, sink);
          }
          for (auto* k : cpu::usable_kernels()) {
            std::fill(outs.begin(), outs.end(), 0.f);
            const float* sinks = with_sinks ? sk : nullptr;
            if (half)
              k->attend_tile_f16(q, out, lo, hi, rows, kv16.data(), kv16.data() + hd, hd, stride, 0.1f, scratch.data(), sinks);
            else
              k->attend_tile(q, out, lo, hi, rows, kv.data(), kv.data() + hd, hd, stride, 0.1f, scratch.data(), sinks);
            EXPECT_LT(rel_error(outs, refs), 1e-5) << k->name << " hd " << hd << " rows " << rows << (half ? " f16" : " f32")
                                                   << (with_sinks ? " sinks" : "");
          }
        }
    }
}

TEST(Ops, Int8PeakMicrokernelCountsItsWork) {
  for (auto* k : cpu::usable_kernels()) {
    int32_t sink = 0;
    uint64_t one = k->int8_macs(1000, &sink), two = k->int8_macs(2000, &sink);
    EXPECT_GT(one, 0u) << k->name;
    EXPECT_EQ(two, 2 * one) << k->name;
  }
  double peak = measure_int8_peak(1);
  EXPECT_GT(peak, 1e8); // any CPU this runs on does more than 0.1 G int8 MACs a second
}

TEST(Ops, ThreadCountsGiveTheSameResult) {
  auto w = make_weight(dtype::q4_0, 300, 1024, 5);
  auto x = rbee::test::random_floats(1024, 9);
  std::vector<float> one(300), two(300);
  set_threads(1);
  ops::matmul(w.w, x.data(), 1, one.data());
  set_threads(2);
  ops::matmul(w.w, x.data(), 1, two.data());
  set_threads(0);
  EXPECT_EQ(one, two);
}

TEST(Ops, ReadBytesAgreesAcrossSets) {
  std::vector<uint8_t> buf(1 << 16);
  for (size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<uint8_t>(i * 7);
  for (auto* k : cpu::usable_kernels()) k->read_bytes(buf.data(), buf.size()); // must not fault
  SUCCEED();
}

TEST(Ops, RmsnormSoftmaxSwiglu) {
  std::vector<float> x = {1, 2, 3, 4}, w = {1, 1, 1, 2}, out(4);
  ops::rmsnorm(out.data(), x.data(), w.data(), 4, 0.f);
  float rms = std::sqrt((1 + 4 + 9 + 16) / 4.f);
  EXPECT_NEAR(out[0], 1 / rms, 1e-6);
  EXPECT_NEAR(out[3], 8 / rms, 1e-6);
  std::vector<float> s = {1000, 1000, -1000};
  ops::softmax(s.data(), 3);
  EXPECT_NEAR(s[0], 0.5, 1e-6);
  EXPECT_NEAR(s[2], 0.0, 1e-6);
  std::vector<float> g = {0, 1}, u = {5, 2};
  ops::swiglu(g.data(), u.data(), 2);
  EXPECT_EQ(g[0], 0.f);
  EXPECT_NEAR(g[1], 2 / (1 + std::exp(-1.f)), 1e-6);
}

TEST(Ops, RopeRotatesAndKeepsNorms) {
  for (auto style : {rope_style::normal, rope_style::neox}) {
    auto x = rbee::test::random_floats(2 * 8, 1);
    auto y = x;
    ops::rope(y.data(), 2, 8, 0.f, {style, 10000.f});
    EXPECT_EQ(x, y); // position 0: identity
    ops::rope(y.data(), 2, 8, 17.f, {style, 10000.f});
    double nx = 0, ny = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      nx += x[i] * x[i];
      ny += y[i] * y[i];
    }
    EXPECT_NEAR(nx, ny, 1e-4);
    EXPECT_NE(x, y);
  }
  // The normal layout rotates pairs (0,1); NeoX rotates (0, d/2).
  std::vector<float> a = {1, 0, 0, 0}, b = {1, 0, 0, 0};
  ops::rope(a.data(), 1, 4, 1.f, {rope_style::normal, 10000.f});
  ops::rope(b.data(), 1, 4, 1.f, {rope_style::neox, 10000.f});
  EXPECT_NE(a[1], 0.f);
  EXPECT_EQ(a[2], 0.f);
  EXPECT_EQ(b[1], 0.f);
  EXPECT_NE(b[2], 0.f);
}

TEST(Ops, PartialRopeLeavesTheTailAndScalesTheRotatedPart) {
  // Phi-4-mini: 96 of 128 dimensions rotated (NeoX pairs (i, i + 48)), LongRoPE's factor on them.
  auto x = rbee::test::random_floats(2 * 16, 3);
  auto y = x;
  ops::rope(y.data(), 2, 16, 5.f, {rope_style::neox, 10000.f, 12, 1.25f});
  for (int h = 0; h < 2; ++h) {
    double nx = 0, ny = 0;
    for (int i = 0; i < 16; ++i) {
      float a = x[h * 16 + i], b = y[h * 16 + i];
      if (i >= 12) {
        EXPECT_EQ(a, b) << "dimension " << i << " is past n_rot";
      } else {
        nx += a * a, ny += b * b;
      }
    }
    EXPECT_NEAR(ny, nx * 1.25 * 1.25, 1e-3); // a rotation scaled by mscale
  }
  // The pairs are (i, i + n_rot/2): a unit at 0 moves into 6 only.
  std::vector<float> u(16, 0.f);
  u[0] = 1;
  ops::rope(u.data(), 1, 16, 1.f, {rope_style::neox, 10000.f, 12});
  for (int i = 1; i < 16; ++i) {
    if (i != 6) {
      EXPECT_EQ(u[i], 0.f) << i;
    }
  }
  EXPECT_NE(u[6], 0.f);
}

TEST(Ops, RouteTakesTheTopExpertsAndNormalizesTheirWeights) {
  const float logits[6] = {0.1f, 2.0f, -1.0f, 1.5f, 1.9f, -3.0f};
  int chosen[3];
  float w[3];
  ops::ref_route(logits, 6, 3, hparams::gating::softmax, chosen, w);
  EXPECT_EQ(chosen[0], 1);
  EXPECT_EQ(chosen[1], 4);
  EXPECT_EQ(chosen[2], 3);
  // softmax restricted to the chosen: exp(l_i) / Σ exp(l_chosen)
  double z = std::exp(2.0) + std::exp(1.9) + std::exp(1.5);
  EXPECT_NEAR(w[0], std::exp(2.0) / z, 1e-6);
  EXPECT_NEAR(w[2], std::exp(1.5) / z, 1e-6);
  EXPECT_NEAR(w[0] + w[1] + w[2], 1.0, 1e-6);
  // Sigmoid gating: the same order (monotone), weights sigmoid(l) / Σ sigmoid.
  ops::ref_route(logits, 6, 2, hparams::gating::sigmoid, chosen, w);
  EXPECT_EQ(chosen[0], 1);
  EXPECT_EQ(chosen[1], 4);
  double s1 = 1 / (1 + std::exp(-2.0)), s2 = 1 / (1 + std::exp(-1.9));
  EXPECT_NEAR(w[0], s1 / (s1 + s2), 1e-6);
  // gpt-oss: the top logits, weighed by their own softmax.
  ops::ref_route(logits, 6, 2, hparams::gating::softmax_weight, chosen, w);
  EXPECT_EQ(chosen[0], 1);
  EXPECT_EQ(chosen[1], 4);
  EXPECT_NEAR(w[0], std::exp(2.0) / (std::exp(2.0) + std::exp(1.9)), 1e-6);
  std::vector<float> g = {-1.f, 0.f, 3.f, 9.f}, u = {0.f, 2.f, -9.f, 1.f};
  ops::ref_swiglu_oai(g.data(), u.data(), 4);
  EXPECT_NEAR(g[0], -1.0 / (1 + std::exp(1.702)) * 1.0, 1e-6);
  EXPECT_EQ(g[1], 0.f);
  EXPECT_NEAR(g[2], 3.0 / (1 + std::exp(-1.702 * 3)) * -6.0, 1e-5); // up clamped to -7
  EXPECT_NEAR(g[3], 7.0 / (1 + std::exp(-1.702 * 7)) * 2.0, 1e-5);  // gate clamped to 7
  // All of them, equal logits: ties go to the lower index, equal weights.
  const float flat[4] = {0, 0, 0, 0};
  int all[4];
  float wa[4];
  ops::ref_route(flat, 4, 4, hparams::gating::softmax, all, wa);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(all[i], i);
    EXPECT_NEAR(wa[i], 0.25, 1e-6);
  }
}

