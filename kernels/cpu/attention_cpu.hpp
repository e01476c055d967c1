#pragma once
// Causal attention of a forward step on the CPU, in tiles: each sequence's query rows
// of one KV head (its tokens in this step x the heads of a GQA group), up to
// tile_rows at a time, read that head's cached K and V once. Private to kernels/.

#include "kernels/context.hpp"

#include <cstddef>
#include <cstdint>

namespace rbee::kernels::cpu {

struct attention_step {
  const batch_entry* entries = nullptr;
  const int* pos = nullptr;
  int n = 0;
  const float* q = nullptr; ///< (n, n_head * hd)
  float* out = nullptr;     ///< (n, n_head * hd)
  const uint8_t* k_cache = nullptr; ///< this layer's: (slot, position, kv_dim) halves or floats
  const uint8_t* v_cache = nullptr;
  bool f16 = true;
  int n_head = 0, n_head_kv = 0, hd = 0, n_ctx = 0;
  float scale = 1.f;
  int window = 0; ///< > 0: each row sees its last `window` positions only
  const float* sinks = nullptr; ///< per head: an attention-sink logit (gpt-oss), or null
};

void attend_tiles(const attention_step& a);

} // namespace rbee::kernels::cpu
