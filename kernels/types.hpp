#pragma once
// ggml tensor types as GGUF stores them: block layout, sizes, and the
// reference (scalar) conversions to and from float.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace rbee::kernels {

/// The ids GGUF uses (ggml_type).
enum class dtype : uint32_t {
  f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9,
  q2_k = 10, q3_k = 11, q4_k = 12, q5_k = 13, q6_k = 14, q8_k = 15, iq4_nl = 20, iq4_xs = 23, bf16 = 30, mxfp4 = 39,
};

struct dtype_info {
  std::string_view name;
  uint32_t block;      ///< elements per block
  uint32_t bytes;      ///< bytes per block
  bool supported;      ///< this engine computes with it
};

/// The types the engine computes with, for messages: "f32, f16, ...".
std::string supported_types();

/// Info for a raw GGUF type id; nullptr when the id is unknown.
const dtype_info* info(uint32_t raw);
const dtype_info& info(dtype t);
std::string_view name(dtype t);

/// Bytes of a row of `n` elements; throws kernel_error when n is not a
/// multiple of the block size.
size_t row_bytes(dtype t, uint64_t n);

// -- block layouts (ggml) --
struct block_q8_0 { uint16_t d; int8_t qs[32]; };
struct block_q4_0 { uint16_t d; uint8_t qs[16]; };
struct block_q4_1 { uint16_t d; uint16_t m; uint8_t qs[16]; };
struct block_q5_0 { uint16_t d; uint8_t qh[4]; uint8_t qs[16]; };
struct block_q5_1 { uint16_t d; uint16_t m; uint8_t qh[4]; uint8_t qs[16]; };
struct block_q4_k { uint16_t d; uint16_t dmin; uint8_t scales[12]; uint8_t qs[128]; };
struct block_q5_k { uint16_t d; uint16_t dmin; uint8_t scales[12]; uint8_t qh[32]; uint8_t qs[128]; };
struct block_q6_k { uint8_t ql[128]; uint8_t qh[64]; int8_t scales[16]; uint16_t d; };
struct block_q2_k { uint8_t scales[16]; uint8_t qs[64]; uint16_t d; uint16_t dmin; };
struct block_q3_k { uint8_t hmask[32]; uint8_t qs[64]; uint8_t scales[12]; uint16_t d; };
struct block_iq4_nl { uint16_t d; uint8_t qs[16]; };
struct block_iq4_xs { uint16_t d; uint16_t scales_h; uint8_t scales_l[4]; uint8_t qs[128]; };
struct block_mxfp4 { uint8_t e; uint8_t qs[16]; }; ///< OCP MX: a power-of-two scale, 32 FP4 (E2M1) values
static_assert(sizeof(block_q8_0) == 34 && sizeof(block_q4_0) == 18);
static_assert(sizeof(block_q4_1) == 20 && sizeof(block_q5_0) == 22 && sizeof(block_q5_1) == 24);
static_assert(sizeof(block_q4_k) == 144 && sizeof(block_q5_k) == 176 && sizeof(block_q6_k) == 210);
static_assert(sizeof(block_q2_k) == 84 && sizeof(block_q3_k) == 110 && sizeof(block_iq4_nl) == 18 &&
              sizeof(block_iq4_xs) == 136 && sizeof(block_mxfp4) == 17);

float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);
inline float bf16_to_f32(uint16_t h) {
  union { uint32_t u; float f; } v{static_cast<uint32_t>(h) << 16};
  return v.f;
}
uint16_t f32_to_bf16(float f);

/// Reference dequantization of one row of `n` elements (n a multiple of the block).
void dequantize_row(dtype t, const void* src, float* dst, size_t n);

/// Reference quantization of one row (n a multiple of the block).
void quantize_row(dtype t, const float* src, void* dst, size_t n);

} // namespace rbee::kernels
