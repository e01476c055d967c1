#include "kernels/cpu/attention_cpu.hpp"

#include "kernels/cpu/quant_act.hpp"
#include "kernels/parallel.hpp"

#include <algorithm>
#include <vector>

namespace rbee::kernels::cpu {

namespace {

struct tile {
  int slot = 0, kvh = 0;
  int first = 0, count = 0; ///< rows [first, first + count) of the slot's row list
};

} // namespace

void attend_tiles(const attention_step& a) {
  const int group = a.n_head / a.n_head_kv, q_dim = a.n_head * a.hd, kv_dim = a.n_head_kv * a.hd;
  const size_t elem = a.f16 ? sizeof(uint16_t) : sizeof(float);
  const size_t slot_stride = static_cast<size_t>(a.n_ctx) * kv_dim;
  // Each slot's tokens in this step, in order; its rows of one KV head are (token, head of the group).
  std::vector<int> slots;
  std::vector<std::vector<int>> tokens;
  for (int t = 0; t < a.n; ++t) {
    auto it = std::find(slots.begin(), slots.end(), a.entries[t].slot);
    if (it == slots.end()) {
      slots.push_back(a.entries[t].slot);
      tokens.emplace_back();
      it = slots.end() - 1;
    }
    tokens[static_cast<size_t>(it - slots.begin())].push_back(t);
  }
  std::vector<tile> tiles;
  for (size_t s = 0; s < slots.size(); ++s) {
    const int rows = static_cast<int>(tokens[s].size()) * group;
    for (int kvh = 0; kvh < a.n_head_kv; ++kvh)
      for (int r = 0; r < rows; r += tile_rows) tiles.push_back({static_cast<int>(s), kvh, r, std::min(tile_rows, rows - r)});
  }
  const auto& k = best_kernels();
  parallel_for(0, static_cast<int>(tiles.size()), 1, [&](int lo_i, int hi_i) {
    thread_local std::vector<float> scratch;
    scratch.resize(attend_tile_scratch(a.hd, a.n_ctx));
    const float* q[tile_rows];
    float* out[tile_rows];
    int lo[tile_rows], hi[tile_rows];
    float sinks[tile_rows];
    for (int i = lo_i; i < hi_i; ++i) {
      const tile& tl = tiles[static_cast<size_t>(i)];
      const auto& toks = tokens[static_cast<size_t>(tl.slot)];
      for (int m = 0; m < tl.count; ++m) {
        int r = tl.first + m, t = toks[static_cast<size_t>(r / group)], head = tl.kvh * group + r % group;
        q[m] = a.q + static_cast<size_t>(t) * q_dim + static_cast<size_t>(head) * a.hd;
        out[m] = a.out + static_cast<size_t>(t) * q_dim + static_cast<size_t>(head) * a.hd;
        hi[m] = a.pos[t] + 1;
        lo[m] = a.window > 0 ? std::max(0, hi[m] - a.window) : 0;
        if (a.sinks) sinks[m] = a.sinks[head];
      }
      const size_t at = (slot_stride * static_cast<size_t>(slots[static_cast<size_t>(tl.slot)]) +
                         static_cast<size_t>(tl.kvh) * a.hd) * elem;
      if (a.f16)
        k.attend_tile_f16(q, out, lo, hi, tl.count, reinterpret_cast<const uint16_t*>(a.k_cache + at),
                          reinterpret_cast<const uint16_t*>(a.v_cache + at), a.hd, static_cast<size_t>(kv_dim), a.scale,
                          scratch.data(), a.sinks ? sinks : nullptr);
      else
        k.attend_tile(q, out, lo, hi, tl.count, reinterpret_cast<const float*>(a.k_cache + at),
                      reinterpret_cast<const float*>(a.v_cache + at), a.hd, static_cast<size_t>(kv_dim), a.scale,
                      scratch.data(), a.sinks ? sinks : nullptr);
    }
  });
}

} // namespace rbee::kernels::cpu
