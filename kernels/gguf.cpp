#include "kernels/gguf.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <limits>

namespace rbee::kernels {

namespace {

constexpr uint32_t gguf_magic = 0x46554747; // "GGUF"
constexpr uint64_t max_kv = 1 << 20;
constexpr uint64_t max_tensors = 1 << 20;
constexpr uint64_t max_dims = 4;

/// Bounds-checked little-endian reader over the file.
class cursor {
public:
  cursor(const uint8_t* base, size_t size) : base_(base), size_(size) {}

  template <class T>
  T read(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, base_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string_view string(const char* what) {
    uint64_t len = read<uint64_t>(what);
    need(len, what);
    std::string_view s(reinterpret_cast<const char*>(base_ + pos_), static_cast<size_t>(len));
    pos_ += static_cast<size_t>(len);
    return s;
  }
  void skip(uint64_t n, const char* what) {
    need(n, what);
    pos_ += static_cast<size_t>(n);
  }
  void need(uint64_t n, const char* what) const {
    if (n > size_ - pos_)
      throw kernel_error(std::string("truncated file: ") + what + " at offset " + std::to_string(pos_) +
                         " needs " + std::to_string(n) + " bytes, " + std::to_string(size_ - pos_) + " left");
  }
  size_t pos() const { return pos_; }
  const uint8_t* here() const { return base_ + pos_; }

private:
  const uint8_t* base_;
  size_t size_;
  size_t pos_ = 0;
};

uint64_t scalar_size(gguf_type t) {
  switch (t) {
    case gguf_type::u8: case gguf_type::i8: case gguf_type::boolean: return 1;
    case gguf_type::u16: case gguf_type::i16: return 2;
    case gguf_type::u32: case gguf_type::i32: case gguf_type::f32: return 4;
    case gguf_type::u64: case gguf_type::i64: case gguf_type::f64: return 8;
    default: return 0;
  }
}

bool known_type(uint32_t t) {
  return t <= 12;
}

/// Reads one value of type `t` at the cursor; checks strings and arrays.
gguf_value read_value(cursor& c, gguf_type t, const std::string& key, int depth) {
  gguf_value v;
  v.type = t;
  v.data = c.here();
  v.raw = c.here();
  size_t start = c.pos();
  if (t == gguf_type::string) {
    c.string(key.c_str());
  } else if (t == gguf_type::array) {
    if (depth > 0) throw kernel_error("metadata '" + key + "': nested arrays are not supported");
    uint32_t et = c.read<uint32_t>(key.c_str());
    if (!known_type(et) || et == static_cast<uint32_t>(gguf_type::array))
      throw kernel_error("metadata '" + key + "': unknown array element type " + std::to_string(et));
    v.elem = static_cast<gguf_type>(et);
    v.count = c.read<uint64_t>(key.c_str());
    v.data = c.here();
    if (v.elem == gguf_type::string) {
      for (uint64_t i = 0; i < v.count; ++i) c.string(key.c_str()); // each length checked
    } else {
      uint64_t es = scalar_size(v.elem);
      if (v.count > std::numeric_limits<uint64_t>::max() / es) throw kernel_error("metadata '" + key + "': array too large");
      c.skip(v.count * es, key.c_str());
    }
  } else {
    uint64_t s = scalar_size(t);
    if (!s) throw kernel_error("metadata '" + key + "': unknown value type " + std::to_string(static_cast<uint32_t>(t)));
    c.skip(s, key.c_str());
  }
  v.size = c.pos() - start;
  return v;
}

template <class T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

bool is_int(gguf_type t) {
  return t == gguf_type::u8 || t == gguf_type::i8 || t == gguf_type::u16 || t == gguf_type::i16 ||
         t == gguf_type::u32 || t == gguf_type::i32 || t == gguf_type::u64 || t == gguf_type::i64;
}

/// Any integer scalar as int64 (u64 above int64 max is an error).
int64_t as_int(gguf_type t, const uint8_t* p, const std::string& key) {
  switch (t) {
    case gguf_type::u8: return load<uint8_t>(p);
    case gguf_type::i8: return load<int8_t>(p);
    case gguf_type::u16: return load<uint16_t>(p);
    case gguf_type::i16: return load<int16_t>(p);
    case gguf_type::u32: return load<uint32_t>(p);
    case gguf_type::i32: return load<int32_t>(p);
    case gguf_type::i64: return load<int64_t>(p);
    case gguf_type::u64: {
      auto u = load<uint64_t>(p);
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        throw kernel_error("metadata '" + key + "' is too large");
      return static_cast<int64_t>(u);
    }
    default: throw kernel_error("metadata '" + key + "' is not an integer");
  }
}

} // namespace

uint64_t gguf_tensor::elements() const {
  uint64_t n = 1;
  for (auto d : ne) n *= d; // validated not to overflow
  return n;
}

gguf_file::~gguf_file() {
  if (mapped_ && base_) munmap(const_cast<uint8_t*>(base_), size_);
}

result<std::shared_ptr<gguf_file>> gguf_file::parse(const uint8_t* data, size_t size) {
  return guarded([&] {
    std::shared_ptr<gguf_file> f(new gguf_file);
    f->base_ = data;
    f->size_ = size;
    f->validate();
    return f;
  });
}

std::shared_ptr<gguf_file> gguf_file::open_one(const std::string& path) {
  {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw kernel_error("cannot open " + path + ": " + std::strerror(errno));
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      throw kernel_error(path + " is not a regular file");
    }
    if (st.st_size < 24) {
      ::close(fd);
      throw kernel_error(path + " is too small to be a GGUF file");
    }
    void* addr = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_SHARED, fd, 0);
    ::close(fd);
    if (addr == MAP_FAILED) throw kernel_error("cannot map " + path + ": " + std::strerror(errno));
    std::shared_ptr<gguf_file> f(new gguf_file);
    f->base_ = static_cast<const uint8_t*>(addr);
    f->size_ = static_cast<size_t>(st.st_size);
    f->mapped_ = true;
    f->paths_ = {path};
    f->validate();
    return f;
  }
}

void gguf_file::validate() {
  cursor c(base_, size_);
  if (c.read<uint32_t>("magic") != gguf_magic) throw kernel_error("not a GGUF file (bad magic)");
  version_ = c.read<uint32_t>("version");
  if (version_ != 2 && version_ != 3)
    throw kernel_error("GGUF version " + std::to_string(version_) + " is not supported (2 and 3 are)");
  uint64_t n_tensors = c.read<uint64_t>("tensor count");
  uint64_t n_kv = c.read<uint64_t>("metadata count");
  if (n_tensors > max_tensors) throw kernel_error("tensor count " + std::to_string(n_tensors) + " is absurd");
  if (n_kv > max_kv) throw kernel_error("metadata count " + std::to_string(n_kv) + " is absurd");
  for (uint64_t i = 0; i < n_kv; ++i) {
    std::string key(c.string("metadata key"));
    uint32_t t = c.read<uint32_t>("metadata type");
    if (!known_type(t)) throw kernel_error("metadata '" + key + "': unknown value type " + std::to_string(t));
    auto v = read_value(c, static_cast<gguf_type>(t), key, 0);
    if (!kv_.emplace(key, v).second) throw kernel_error("metadata key '" + key + "' appears twice");
    key_order_.push_back(key);
  }
  uint64_t alignment = opt_uint("general.alignment", 32);
  if (alignment == 0 || (alignment & (alignment - 1)) || alignment > (1 << 20))
    throw kernel_error("general.alignment " + std::to_string(alignment) + " is not a power of two");
  for (uint64_t i = 0; i < n_tensors; ++i) {
    gguf_tensor t;
    t.name = std::string(c.string("tensor name"));
    uint32_t nd = c.read<uint32_t>("tensor dims");
    if (nd == 0 || nd > max_dims) throw kernel_error("tensor '" + t.name + "' has " + std::to_string(nd) + " dimensions");
    uint64_t n = 1;
    for (uint32_t d = 0; d < nd; ++d) {
      uint64_t x = c.read<uint64_t>("tensor dim");
      if (x == 0 || x > (uint64_t{1} << 40) || n > std::numeric_limits<uint64_t>::max() / x)
        throw kernel_error("tensor '" + t.name + "' has an absurd shape");
      n *= x;
      t.ne.push_back(x);
    }
    uint32_t raw = c.read<uint32_t>("tensor type");
    const dtype_info* ti = info(raw);
    if (!ti) throw kernel_error("tensor '" + t.name + "' has an unknown type id " + std::to_string(raw));
    if (!ti->supported)
      throw kernel_error("tensor '" + t.name + "' has type " + std::string(ti->name) +
                         ", which rbee does not support yet (it runs " + supported_types() + ")");
    t.type = static_cast<dtype>(raw);
    if (t.ne[0] % ti->block)
      throw kernel_error("tensor '" + t.name + "': row length " + std::to_string(t.ne[0]) +
                         " is not a multiple of the " + std::string(ti->name) + " block");
    t.bytes = n / ti->block * ti->bytes;
    t.offset = c.read<uint64_t>("tensor offset");
    if (t.offset % alignment) throw kernel_error("tensor '" + t.name + "' is not aligned");
    if (!by_name_.emplace(t.name, tensors_.size()).second)
      throw kernel_error("tensor '" + t.name + "' appears twice");
    tensors_.push_back(std::move(t));
  }
  if (tensors_.empty()) return; // vocabulary only (llama.cpp's tokenizer files): no data section needed
  uint64_t data_start = (c.pos() + alignment - 1) / alignment * alignment;
  if (data_start > size_) throw kernel_error("truncated file: the tensor data section is missing");
  uint64_t data_size = size_ - data_start;
  for (auto& t : tensors_) {
    if (t.offset > data_size || t.bytes > data_size - t.offset)
      throw kernel_error("tensor '" + t.name + "' lies outside the file (offset " + std::to_string(t.offset) +
                         ", " + std::to_string(t.bytes) + " bytes, data section " + std::to_string(data_size) + ")");
    t.data = base_ + data_start + t.offset;
  }
}

const gguf_tensor* gguf_file::tensor(std::string_view name) const {
  auto i = by_name_.find(std::string(name));
  return i == by_name_.end() ? nullptr : &tensors_[i->second];
}

const gguf_value* gguf_file::find(std::string_view key) const {
  auto i = kv_.find(std::string(key));
  return i == kv_.end() ? nullptr : &i->second;
}

namespace {
const gguf_value& need(const gguf_file& f, std::string_view key) {
  auto v = f.find(key);
  if (!v) throw kernel_error("metadata '" + std::string(key) + "' is missing");
  return *v;
}
} // namespace

int64_t gguf_file::get_int(std::string_view key) const {
  auto& v = need(*this, key);
  return as_int(v.type, v.data, std::string(key));
}

uint64_t gguf_file::get_uint(std::string_view key) const {
  int64_t x = get_int(key);
  if (x < 0) throw kernel_error("metadata '" + std::string(key) + "' is negative");
  return static_cast<uint64_t>(x);
}

double gguf_file::get_float(std::string_view key) const {
  auto& v = need(*this, key);
  if (v.type == gguf_type::f32) return load<float>(v.data);
  if (v.type == gguf_type::f64) return load<double>(v.data);
  if (is_int(v.type)) return static_cast<double>(as_int(v.type, v.data, std::string(key)));
  throw kernel_error("metadata '" + std::string(key) + "' is not a number");
}

bool gguf_file::get_bool(std::string_view key) const {
  auto& v = need(*this, key);
  if (v.type != gguf_type::boolean) throw kernel_error("metadata '" + std::string(key) + "' is not a bool");
  return *v.data != 0;
}

std::string gguf_file::get_string(std::string_view key) const {
  auto& v = need(*this, key);
  if (v.type != gguf_type::string) throw kernel_error("metadata '" + std::string(key) + "' is not a string");
  uint64_t len = load<uint64_t>(v.data);
  return std::string(reinterpret_cast<const char*>(v.data + 8), static_cast<size_t>(len));
}

uint64_t gguf_file::opt_uint(std::string_view key, uint64_t fallback) const {
  return find(key) ? get_uint(key) : fallback;
}
double gguf_file::opt_float(std::string_view key, double fallback) const {
  return find(key) ? get_float(key) : fallback;
}
bool gguf_file::opt_bool(std::string_view key, bool fallback) const {
  return find(key) ? get_bool(key) : fallback;
}
std::string gguf_file::opt_string(std::string_view key, std::string fallback) const {
  return find(key) ? get_string(key) : fallback;
}

std::vector<std::string_view> gguf_file::get_strings(std::string_view key) const {
  auto& v = need(*this, key);
  if (v.type != gguf_type::array || v.elem != gguf_type::string)
    throw kernel_error("metadata '" + std::string(key) + "' is not an array of strings");
  std::vector<std::string_view> out;
  out.reserve(static_cast<size_t>(v.count));
  const uint8_t* p = v.data;
  for (uint64_t i = 0; i < v.count; ++i) {
    uint64_t len = load<uint64_t>(p);
    out.emplace_back(reinterpret_cast<const char*>(p + 8), static_cast<size_t>(len));
    p += 8 + len;
  }
  return out;
}

std::vector<float> gguf_file::get_floats(std::string_view key) const {
  auto& v = need(*this, key);
  if (v.type != gguf_type::array || (v.elem != gguf_type::f32 && v.elem != gguf_type::f64))
    throw kernel_error("metadata '" + std::string(key) + "' is not an array of numbers");
  std::vector<float> out(static_cast<size_t>(v.count));
  for (uint64_t i = 0; i < v.count; ++i)
    out[i] = v.elem == gguf_type::f32 ? load<float>(v.data + 4 * i) : static_cast<float>(load<double>(v.data + 8 * i));
  return out;
}

std::vector<int64_t> gguf_file::get_ints(std::string_view key) const {
  auto& v = need(*this, key);
  if (v.type != gguf_type::array || !is_int(v.elem))
    throw kernel_error("metadata '" + std::string(key) + "' is not an array of integers");
  std::vector<int64_t> out(static_cast<size_t>(v.count));
  uint64_t es = scalar_size(v.elem);
  for (uint64_t i = 0; i < v.count; ++i) out[i] = as_int(v.elem, v.data + es * i, std::string(key));
  return out;
}

} // namespace rbee::kernels
