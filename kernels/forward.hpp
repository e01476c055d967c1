#pragma once
// A context's forward pass on one device — the CPU (kernels/cpu/forward_cpu.cpp)
// or a CUDA GPU (kernels/cuda/forward_cuda.cu) — behind one interface; the
// registry (kernels/backend.cpp) picks it from the device name at run time.
// Private to kernels/.

#include "kernels/context.hpp"

#include <memory>
#include <string>

namespace rbee::kernels {

struct forward_shape {
  int n_ctx = 0;   ///< positions per slot
  int n_batch = 0; ///< entries per run
  int n_slots = 1;
  bool reference = false; ///< the scalar reference ops (CPU only)
  kv_cache_type kv_type = kv_cache_type::f16; ///< the CPU's KV cache
};

class forward_pass {
public:
  virtual ~forward_pass() = default;
  /// Runs `n` (<= n_batch) entries at positions `pos` (checked by the caller);
  /// writes the logits of the entries that ask for them to `logits_out`, in order.
  virtual void run(const batch_entry* entries, const int* pos, int n, float* logits_out) = 0;
  /// "cpu", "cuda:0" ...
  virtual std::string device() const = 0;
  /// A slot's KV cache copied out and back (the prompt cache beyond the slots): bytes for
  /// `n` positions, then the first `n` positions of `slot` into `dst`, and the first `n` of
  /// `n_src` saved positions into `slot`. False where the device cannot (nothing copied).
  virtual size_t kv_bytes(int n) const { return 0; }
  virtual bool save_kv(int slot, int n, uint8_t* dst) const { return false; }
  virtual bool load_kv(int slot, int n_src, int n, const uint8_t* src) { return false; }
};

std::unique_ptr<forward_pass> make_cpu_forward(std::shared_ptr<const model> m, const forward_shape& s);
/// Only in builds with CUDA (kernels/cuda/forward_cuda.cu).
std::unique_ptr<forward_pass> make_cuda_forward(std::shared_ptr<const model> m, const forward_shape& s, int device);

/// "cpu", "cuda" (device 0) or "cuda:N". Throws kernel_error naming the problem:
/// an unknown name, a build without CUDA, no such GPU — never a silent CPU fallback.
std::unique_ptr<forward_pass> make_forward(std::shared_ptr<const model> m, const forward_shape& s, const std::string& device);

} // namespace rbee::kernels
