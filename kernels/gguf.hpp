#pragma once
// GGUF v2/v3 files: memory-mapped, validated completely before anything uses
// them (counts, lengths, offsets and sizes within the file, alignment, tensor
// types), with typed access to the metadata and the tensors.

#include "kernels/status.hpp"
#include "kernels/types.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace rbee::kernels {

enum class gguf_type : uint32_t {
  u8 = 0, i8 = 1, u16 = 2, i16 = 3, u32 = 4, i32 = 5, f32 = 6, boolean = 7,
  string = 8, array = 9, u64 = 10, i64 = 11, f64 = 12,
};

/// One metadata value; arrays keep their element type and count, and point
/// into the file (strings of an array are decoded on demand, already checked).
struct gguf_value {
  gguf_type type = gguf_type::u8;
  gguf_type elem = gguf_type::u8; ///< arrays
  uint64_t count = 0;             ///< arrays
  const uint8_t* data = nullptr;  ///< the value (or the array's first element)
  const uint8_t* raw = nullptr;   ///< the value as stored (arrays: from the element type)
  uint64_t size = 0;              ///< bytes of the value as stored
};

struct gguf_tensor {
  std::string name;
  dtype type = dtype::f32;
  std::vector<uint64_t> ne;       ///< ne[0] is the row length
  uint64_t offset = 0;            ///< from the start of the data section
  const uint8_t* data = nullptr;
  uint64_t bytes = 0;
  uint64_t elements() const;
  uint64_t rows() const { return ne.empty() ? 0 : elements() / ne[0]; }
};

/// A part of a split model, as llama.cpp's gguf-split names them:
/// "dir/name-00002-of-00005.gguf" is {"dir/name", 2, 5}.
struct split_name {
  std::string prefix;
  int no = 0, count = 0;
};
/// The parts of a split model's name; nothing for another name.
std::optional<split_name> parse_split_name(const std::string& path);
/// The path of part `no` of `count`.
std::string split_path(const std::string& prefix, int no, int count);

class gguf_file {
public:
  /// Maps and validates a file. The first part of a split model (split.count > 1) opens its
  /// other parts beside it, each validated, and lists their tensors as one file's; another
  /// part is an error naming the first.
  static result<std::shared_ptr<gguf_file>> open(const std::string& path);
  /// Validates a buffer (kept by the caller while the result lives); for the fuzzer and tests.
  static result<std::shared_ptr<gguf_file>> parse(const uint8_t* data, size_t size);

  ~gguf_file();
  gguf_file(const gguf_file&) = delete;
  gguf_file& operator=(const gguf_file&) = delete;

  uint32_t version() const { return version_; }
  const std::vector<gguf_tensor>& tensors() const { return tensors_; }
  const gguf_tensor* tensor(std::string_view name) const;
  const std::vector<std::string>& keys() const { return key_order_; }
  const gguf_value* find(std::string_view key) const;

  // Typed access; the `get_` forms throw kernel_error naming the key when it is
  // missing or of another type, the `opt_` forms return the fallback if missing.
  uint64_t get_uint(std::string_view key) const;
  int64_t get_int(std::string_view key) const;
  double get_float(std::string_view key) const;
  bool get_bool(std::string_view key) const;
  std::string get_string(std::string_view key) const;
  uint64_t opt_uint(std::string_view key, uint64_t fallback) const;
  double opt_float(std::string_view key, double fallback) const;
  bool opt_bool(std::string_view key, bool fallback) const;
  std::string opt_string(std::string_view key, std::string fallback) const;
  std::vector<std::string_view> get_strings(std::string_view key) const;
  std::vector<float> get_floats(std::string_view key) const;
  std::vector<int64_t> get_ints(std::string_view key) const;

  /// Bytes of the file (of every part, for a split model).
  size_t file_size() const;
  /// The files a split model is made of, the first one's path first (one path otherwise).
  const std::vector<std::string>& paths() const { return paths_; }

private:
  gguf_file() = default;
  void validate();
  static std::shared_ptr<gguf_file> open_one(const std::string& path);
  void join_parts(const std::string& path);

  const uint8_t* base_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;
  uint32_t version_ = 0;
  std::unordered_map<std::string, gguf_value> kv_;
  std::vector<std::string> key_order_;
  std::vector<gguf_tensor> tensors_;
  std::unordered_map<std::string, size_t> by_name_;
  std::vector<std::shared_ptr<gguf_file>> parts_; ///< a split model's other parts (their tensors are listed here)
  std::vector<std::string> paths_;
};

} // namespace rbee::kernels
