#pragma once
// Weights interleaved 8 rows at a time: for each block position, the 8 rows'
// scales side by side, then their quants in 4-byte groups (row-major inside a
// group), so that one 32-byte load holds 4 quants of each of 8 rows and a
// dpbusd leaves one row's partial dot in each 32-bit lane — no horizontal sums,
// one scale vector per block.

#include "kernels/model.hpp"

#include <memory>

namespace rbee::kernels::cpu {

/// 8 Q4_0 blocks, one per row: qs[32 k + 4 r + i] = byte 4 k + i of row r.
struct block_q4_0x8 {
  uint16_t d[8];
  uint8_t qs[128];
};

/// 8 Q8_0 blocks, one per row: qs[32 k + 4 r + i] = quant 4 k + i of row r.
struct block_q8_0x8 {
  uint16_t d[8];
  int8_t qs[256];
};

/// 8 Q4_K super-blocks: scales and mins unpacked to bytes ([sub-block][row]),
/// qs[32 k + 4 r + i] = quant byte 4 k + i of row r (k = 0..31).
struct block_q4_kx8 {
  uint16_t d[8];
  uint16_t dmin[8];
  uint8_t sc[8][8];
  uint8_t m[8][8];
  uint8_t qs[1024];
};

/// 8 Q6_K super-blocks: scales [sub-block][row]; ql and qh in 4-byte groups of
/// each row (ql: k = 0..31, qh: k = 0..15), same size as the original.
struct block_q6_kx8 {
  uint16_t d[8];
  int8_t sc[16][8];
  uint8_t ql[1024];
  uint8_t qh[512];
};

static_assert(sizeof(block_q4_0x8) == 144 && sizeof(block_q8_0x8) == 272 && sizeof(block_q4_kx8) == 1184);
static_assert(sizeof(block_q6_kx8) == 8 * 210);

/// True when `w` can be interleaved (Q4_0, Q8_0, Q4_K or Q6_K, rows a multiple of 8).
bool can_repack(const weight& w);

/// 16 Q4_0 blocks, one per row, for 512-bit kernels: qs[64 k + 4 r + i].
struct block_q4_0x16 {
  uint16_t d[16];
  uint8_t qs[256];
};

/// The rows per group the kernel set `k` reads `w` in: 16 where it has 512-bit Q4_0 kernels, else 8.
int repack_rows(const weight& w, const struct kernel_set& k);

/// Bytes of the interleaved copy of `w` in groups of `rows_per_group` rows.
size_t repacked_bytes(const weight& w, int rows_per_group);

/// Writes the interleaved copy of `w` (groups of `rows_per_group` rows, blocks in order
/// inside a group) to `out` (repacked_bytes of it). 16 is for Q4_0 only (rows a multiple of 16).
void repack_into(const weight& w, int rows_per_group, uint8_t* out);

/// repack_into a new buffer.
std::unique_ptr<uint8_t[]> repack(const weight& w, int rows_per_group = 8);

} // namespace rbee::kernels::cpu
