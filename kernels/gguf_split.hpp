#pragma once
// Writing a model as llama.cpp's split GGUF parts (kernels/gguf_split.cpp); reading
// them is gguf_file::open's.

#include "kernels/status.hpp"

#include <string>
#include <vector>

namespace rbee::kernels {

/// Writes `in` as `parts` files PREFIX-00001-of-0000N.gguf ... (the metadata in the first,
/// the tensors shared in order), each atomically; returns their paths.
result<std::vector<std::string>> split_model(const std::string& in, const std::string& prefix, int parts);

} // namespace rbee::kernels
