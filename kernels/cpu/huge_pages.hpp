#pragma once
// Memory the engine reads on every token (the interleaved weights, the KV
// cache), in one anonymous mapping aligned to 2 MiB and offered to transparent
// huge pages (MADV_HUGEPAGE: Debian's default THP mode is "madvise"). Decode
// walks all the weights once per token; with 4 KiB pages that is one TLB miss
// per 4 KiB, each a nested page walk in a VM. Measured on a 2-core VM
// (TinyLlama Q4_0): +7-10% decode t/s. Pages are zero until first written, so
// a KV cache costs memory only for the positions in use.

#include <cstddef>
#include <cstdint>

namespace rbee::kernels::cpu {

class huge_region {
public:
  huge_region() = default;
  /// At least `bytes`, zero-filled on first touch; throws std::bad_alloc when it cannot map.
  explicit huge_region(size_t bytes);
  ~huge_region();
  huge_region(huge_region&& o) noexcept;
  huge_region& operator=(huge_region&& o) noexcept;
  huge_region(const huge_region&) = delete;
  huge_region& operator=(const huge_region&) = delete;

  uint8_t* data() const { return base_; }
  size_t size() const { return size_; }

private:
  void* map_ = nullptr; ///< the whole mapping (with the alignment slack)
  size_t map_size_ = 0;
  uint8_t* base_ = nullptr;
  size_t size_ = 0;
};

} // namespace rbee::kernels::cpu
