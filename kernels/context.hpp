#pragma once
// An inference context: KV caches for one or more sequences ("slots") over a
// shared model. A batch mixes tokens of several slots — each appended at its own
// position — and runs as one forward pass: every weight matrix is read once per
// step whatever the number of sequences (continuous batching), and a long prompt
// can be fed in chunks beside the others' decode tokens (chunked prefill).

#include "kernels/model.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rbee::kernels {

class forward_pass;

/// A device name: "cpu" gives -1, "cuda" 0 and "cuda:N" N; nullopt for anything else.
std::optional<int> cuda_index(const std::string& device);

/// What the CPU's KV cache holds: halves by default (half the memory, as llama.cpp),
/// or floats. The CUDA engine keeps halves.
enum class kv_cache_type { f16, f32 };

/// "f16" or "f32"; false for another name.
bool parse_kv_cache_type(const std::string& name, kv_cache_type& out);

struct context_params {
  int n_ctx = 0;     ///< per slot; 0: the model's training context, at most 4096
  int n_batch = 256; ///< tokens per forward step
  int n_slots = 1;   ///< sequences with their own KV cache
  bool reference = false; ///< use the scalar reference ops (tests)
  kv_cache_type kv_type = kv_cache_type::f16;
  std::string device = "cpu"; ///< cpu, cuda, cuda:N — where the forward pass runs
};

/// One token of a batch: appended to `slot` at that slot's next position.
struct batch_entry {
  int slot = 0;
  int32_t token = 0;
  bool logits = false; ///< return the logits after this token
};

class context {
public:
  static result<std::unique_ptr<context>> create(std::shared_ptr<const model> m, context_params p = {});
  ~context();

  /// Runs a batch (any mix of slots; a slot's tokens in order). Returns the
  /// logits of the entries that asked for them, n_vocab floats each, in batch
  /// order, valid until the next call. Overflowing a slot's context, an unknown
  /// slot or a token outside the vocabulary is an error that changes nothing.
  result<const float*> decode_batch(const std::vector<batch_entry>& batch);

  /// Slot 0: appends `n` tokens; the logits of the last one.
  result<const float*> decode(const int32_t* tokens, int n);

  int n_past(int slot = 0) const { return n_past_[static_cast<size_t>(slot)]; }
  int n_ctx() const { return n_ctx_; }
  int n_slots() const { return static_cast<int>(n_past_.size()); }
  void reset(int slot = 0) { n_past_[static_cast<size_t>(slot)] = 0; }
  /// Keeps the first `n` positions of `slot` (a prefix its KV cache already holds:
  /// the prompt cache); the next tokens overwrite what came after.
  void truncate(int slot, int n) {
    auto& p = n_past_[static_cast<size_t>(slot)];
    p = n < 0 ? 0 : n < p ? n : p;
  }
  /// A slot's KV cache copied out (its n_past positions) and back (the first `n` of
  /// `n_saved` saved positions, which become its n_past): the prompt cache beyond the
  /// slots. False where the device cannot copy (nothing changes).
  bool save_slot(int slot, std::vector<uint8_t>& out) const;
  bool restore_slot(int slot, const std::vector<uint8_t>& saved, int n_saved, int n);
  const model& get_model() const { return *model_; }
  /// Where the forward pass runs: "cpu", "cuda:0", ...
  std::string device() const;

private:
  context() = default;

  std::shared_ptr<const model> model_;
  std::unique_ptr<forward_pass> pass_;
  int n_ctx_ = 0, n_batch_ = 0;
  std::vector<int> n_past_;
  std::vector<float> logits_;
};

} // namespace rbee::kernels
