#include "kernels/status.hpp"
#include "kernels/types.hpp"
#include "tests/kernels/kernels_test_util.hpp"

#include <gtest/gtest.h>

#include <cmath>

using namespace rbee::kernels;

TEST(Types, HalfRoundTripsEveryValue) {
  for (uint32_t h = 0; h < 65536; ++h) {
    float f = f16_to_f32(static_cast<uint16_t>(h));
    if (std::isnan(f)) continue;
    EXPECT_EQ(f32_to_f16(f), h) << h;
  }
  EXPECT_EQ(f16_to_f32(0x3C00), 1.f);
  EXPECT_EQ(f16_to_f32(0xC000), -2.f);
  EXPECT_EQ(f32_to_f16(65520.f), 0x7C00); // rounds to infinity
  EXPECT_EQ(f32_to_f16(1e-9f), 0);
}

TEST(Types, Bf16) {
  EXPECT_EQ(bf16_to_f32(f32_to_bf16(1.5f)), 1.5f);
  EXPECT_NEAR(bf16_to_f32(f32_to_bf16(3.14159f)), 3.14159f, 0.02f);
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(NAN))));
}

TEST(Types, RowBytesChecksBlocks) {
  EXPECT_EQ(row_bytes(dtype::q4_0, 64), 36u);
  EXPECT_EQ(row_bytes(dtype::q6_k, 512), 420u);
  EXPECT_EQ(row_bytes(dtype::f16, 3), 6u);
  EXPECT_THROW(row_bytes(dtype::q8_0, 33), rbee::kernels::kernel_error);
  EXPECT_EQ(info(99), nullptr);
  EXPECT_TRUE(info(3)->supported);   // q4_1
  EXPECT_TRUE(info(11)->supported);  // q3_k
  EXPECT_TRUE(info(23)->supported);  // iq4_xs
  EXPECT_FALSE(info(16)->supported); // iq2_xxs: known (named in errors), not computed
  EXPECT_EQ(info(16)->name, "iq2_xxs");
  EXPECT_EQ(row_bytes(dtype::iq4_xs, 512), 272u);
}

/// Quantize then dequantize: the relative RMS error stays within the type's bound.
class QuantRoundTrip : public ::testing::TestWithParam<std::pair<dtype, double>> {};

TEST_P(QuantRoundTrip, ErrorWithinBound) {
  auto [t, bound] = GetParam();
  const size_t n = 4096;
  auto x = rbee::test::random_floats(n, 7);
  x[5] = 4.f; // an outlier
  std::vector<uint8_t> q(row_bytes(t, n));
  quantize_row(t, x.data(), q.data(), n);
  std::vector<float> y(n);
  dequantize_row(t, q.data(), y.data(), n);
  double err = 0, ref = 0;
  for (size_t i = 0; i < n; ++i) {
    err += (x[i] - y[i]) * (x[i] - y[i]);
    ref += x[i] * x[i];
  }
  double rel = std::sqrt(err / ref);
  EXPECT_LT(rel, bound) << name(t);
  EXPECT_GT(rel, 0.0 - (t == dtype::f32)) << name(t);
}

INSTANTIATE_TEST_SUITE_P(AllTypes, QuantRoundTrip,
                         ::testing::Values(std::pair{dtype::f32, 1e-9}, std::pair{dtype::f16, 1e-3},
                                           std::pair{dtype::bf16, 1e-2}, std::pair{dtype::q8_0, 0.01},
                                           std::pair{dtype::q6_k, 0.05}, std::pair{dtype::q5_k, 0.08},
                                           std::pair{dtype::q4_k, 0.15}, std::pair{dtype::q4_0, 0.15},
                                           std::pair{dtype::q4_1, 0.15}, std::pair{dtype::q5_0, 0.08},
                                           std::pair{dtype::q5_1, 0.08}, std::pair{dtype::q3_k, 0.3},
                                           std::pair{dtype::q2_k, 0.6}, std::pair{dtype::iq4_nl, 0.15},
                                           std::pair{dtype::iq4_xs, 0.15}, std::pair{dtype::mxfp4, 0.25}));

TEST(Types, ZerosStayZeros) {
  for (dtype t : {dtype::q8_0, dtype::q4_0, dtype::q4_1, dtype::q5_0, dtype::q5_1, dtype::q4_k, dtype::q5_k, dtype::q6_k,
                  dtype::q2_k, dtype::q3_k, dtype::iq4_nl, dtype::iq4_xs, dtype::mxfp4}) {
    std::vector<float> x(256, 0.f), y(256, 1.f);
    std::vector<uint8_t> q(row_bytes(t, 256));
    quantize_row(t, x.data(), q.data(), 256);
    dequantize_row(t, q.data(), y.data(), 256);
    for (float v : y) EXPECT_EQ(v, 0.f) << name(t);
  }
}

// Q5_0's and Q5_1's fifth bit, by hand: a block whose values need all 32 levels
// comes back exactly (each value on the grid of the block's scale).
TEST(Types, FiveBitTypesKeepTheirFifthBit) {
  std::vector<float> x(32);
  for (int i = 0; i < 32; ++i) x[static_cast<size_t>(i)] = static_cast<float>((i * 13) % 32 - 16); // every level once
  for (dtype t : {dtype::q5_0, dtype::q5_1}) {
    std::vector<uint8_t> q(row_bytes(t, 32));
    quantize_row(t, x.data(), q.data(), 32);
    std::vector<float> y(32);
    dequantize_row(t, q.data(), y.data(), 32);
    for (int i = 0; i < 32; ++i) EXPECT_NEAR(y[static_cast<size_t>(i)], x[static_cast<size_t>(i)], 1e-3) << name(t) << " " << i;
  }
}
