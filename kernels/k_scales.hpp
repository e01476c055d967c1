#pragma once
// The 6-bit scales and mins of Q4_K/Q5_K super-blocks. static inline: safe to
// include in the SIMD translation units (no weak symbols).

#include <cstdint>

namespace rbee::kernels {

/// Unpacks the 12 scale bytes into 8 scales and 8 mins.
static inline void unpack_scales_k4(const uint8_t* q, uint8_t* sc, uint8_t* m) {
  for (int j = 0; j < 4; ++j) {
    sc[j] = q[j] & 63;
    m[j] = q[j + 4] & 63;
  }
  for (int j = 4; j < 8; ++j) {
    sc[j] = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    m[j] = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

} // namespace rbee::kernels
