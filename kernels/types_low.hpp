#pragma once
// Q2_K, Q3_K, IQ4_NL and IQ4_XS: their reference conversions (kernels/types_low.cpp),
// reached through dequantize_row and quantize_row. Private to kernels/.

#include "kernels/types.hpp"

namespace rbee::kernels {

/// Converts a row when `t` is one of these types; false for any other.
bool dequantize_low(dtype t, const void* src, float* dst, size_t n);
bool quantize_low(dtype t, const float* src, void* dst, size_t n);

} // namespace rbee::kernels
