#pragma once
// The prompt cache beyond a worker's slots: when a slot is taken for another
// conversation, the KV cache it held is kept here (host memory, a byte budget, the
// least recently used dropped first), and a later request that shares a long prefix
// with it gets it back instead of prefilling it again.

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <vector>

namespace rbee::kernels {

class prompt_store {
public:
  explicit prompt_store(size_t budget_bytes) : budget_(budget_bytes) {}

  /// Keeps a sequence's tokens and its saved KV cache; entries not used for longest go to
  /// make room, and one larger than the whole budget is not kept.
  void put(std::vector<int32_t> tokens, std::vector<uint8_t> kv);

  struct hit {
    std::vector<int32_t> tokens;
    std::vector<uint8_t> kv;
    size_t common = 0; ///< leading tokens it shares with the prompt
  };
  /// Takes out the entry sharing the longest prefix with `prompt`, if that is at least `at_least`.
  std::optional<hit> take_best(const std::vector<int32_t>& prompt, size_t at_least);

  size_t bytes() const { return bytes_; }
  size_t size() const { return entries_.size(); }

private:
  struct entry {
    std::vector<int32_t> tokens;
    std::vector<uint8_t> kv;
  };
  std::list<entry> entries_; ///< the most recently put first
  size_t budget_, bytes_ = 0;
};

} // namespace rbee::kernels
