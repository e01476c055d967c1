#pragma once
// Synthetic models: valid GGUF files with random weights in the shape of real
// models (for benchmarks), with a real-sized vocabulary and tokenizer metadata.

#include "kernels/status.hpp"

#include <string>
#include <vector>

namespace rbee::kernels {

/// The shapes `rbee model synth` knows: stories15m, stories110m, tinyllama-1.1b,
/// llama-3.2-1b, qwen2.5-0.5b, qwen3-0.6b, qwen3-4b, gemma3-1b, phi4-mini, qwen3-30b-a3b,
/// gpt-oss-20b (and the tiny ones for tests).
std::vector<std::string> synth_shapes();

/// The types it writes: f32, f16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k_m, q2_k, q3_k, iq4_nl, iq4_xs.
std::vector<std::string> synth_types();

/// Writes the model atomically; the error names an unknown shape or type.
/// `layers` > 0 keeps the shape's first N layers (a big model's every path, small).
result<bool> synth_model(const std::string& shape, const std::string& type, const std::string& out,
                         uint64_t seed = 1, int layers = 0);

} // namespace rbee::kernels
