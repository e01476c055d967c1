#pragma once
// Writing GGUF v3 files: metadata, then tensors produced one at a time (so a
// large model never sits in memory whole). Files are written atomically:
// temporary file, fsync, rename.

#include "kernels/status.hpp"
#include "kernels/types.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace rbee::kernels {

class gguf_writer {
public:
  void add_u16(const std::string& key, uint16_t v);
  void add_u32(const std::string& key, uint32_t v);
  void add_i32(const std::string& key, int32_t v);
  void add_f32(const std::string& key, float v);
  void add_bool(const std::string& key, bool v);
  void add_string(const std::string& key, const std::string& v);
  void add_strings(const std::string& key, const std::vector<std::string>& v);
  void add_floats(const std::string& key, const std::vector<float>& v);
  void add_i32s(const std::string& key, const std::vector<int32_t>& v);
  /// A value copied as stored in another file (type id and bytes from gguf_value).
  void add_raw(const std::string& key, uint32_t type, const uint8_t* bytes, size_t size);

  /// A tensor whose bytes `fill` writes into a buffer of row_bytes(type, ne[0]) x rows.
  using filler = std::function<void(uint8_t* dst, size_t bytes)>;
  void add_tensor(const std::string& name, dtype type, std::vector<uint64_t> ne, filler fill);
  /// A tensor from floats (quantized to `type` row by row).
  void add_tensor_f32(const std::string& name, dtype type, std::vector<uint64_t> ne, std::vector<float> values);

  /// The whole file in memory (tests).
  std::vector<uint8_t> bytes() const;
  /// Writes atomically to `path`.
  result<bool> write(const std::string& path) const;

private:
  struct tensor {
    std::string name;
    dtype type;
    std::vector<uint64_t> ne;
    uint64_t bytes;
    uint64_t offset;
    filler fill;
  };
  std::vector<uint8_t> header() const;
  std::vector<uint8_t> meta_;
  uint64_t n_kv_ = 0;
  std::vector<tensor> tensors_;
  uint64_t data_size_ = 0;
};

} // namespace rbee::kernels
