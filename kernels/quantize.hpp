#pragma once
// Re-quantizing a model file: every 2-D weight to the target type (where its
// rows fit the type's block; otherwise the nearest type that fits), everything
// else (metadata, norms, biases) as it was.

#include "kernels/status.hpp"

#include <string>

namespace rbee::kernels {

/// type: f32, f16, bf16, q8_0, q4_0, q4_k, q5_k, q6_k, q4_k_m. Writes atomically.
result<bool> quantize_model(const std::string& in, const std::string& out, const std::string& type);

} // namespace rbee::kernels
