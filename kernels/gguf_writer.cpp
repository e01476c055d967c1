#include "kernels/gguf_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace rbee::kernels {

namespace {

constexpr uint64_t alignment = 32;

template <class T>
void put(std::vector<uint8_t>& out, T v) {
  size_t at = out.size();
  out.resize(at + sizeof(T));
  std::memcpy(out.data() + at, &v, sizeof(T));
}

void put_string(std::vector<uint8_t>& out, const std::string& s) {
  put<uint64_t>(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

void put_key(std::vector<uint8_t>& out, const std::string& key, uint32_t type) {
  put_string(out, key);
  put<uint32_t>(out, type);
}

bool write_all(int fd, const uint8_t* p, size_t n) {
  while (n) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

} // namespace

void gguf_writer::add_u16(const std::string& k, uint16_t v) { put_key(meta_, k, 2); put(meta_, v); ++n_kv_; }
void gguf_writer::add_u32(const std::string& k, uint32_t v) { put_key(meta_, k, 4); put(meta_, v); ++n_kv_; }
void gguf_writer::add_i32(const std::string& k, int32_t v) { put_key(meta_, k, 5); put(meta_, v); ++n_kv_; }
void gguf_writer::add_f32(const std::string& k, float v) { put_key(meta_, k, 6); put(meta_, v); ++n_kv_; }
void gguf_writer::add_bool(const std::string& k, bool v) { put_key(meta_, k, 7); put<uint8_t>(meta_, v); ++n_kv_; }
void gguf_writer::add_string(const std::string& k, const std::string& v) { put_key(meta_, k, 8); put_string(meta_, v); ++n_kv_; }

void gguf_writer::add_strings(const std::string& k, const std::vector<std::string>& v) {
  put_key(meta_, k, 9);
  put<uint32_t>(meta_, 8);
  put<uint64_t>(meta_, v.size());
  for (auto& s : v) put_string(meta_, s);
  ++n_kv_;
}

void gguf_writer::add_floats(const std::string& k, const std::vector<float>& v) {
  put_key(meta_, k, 9);
  put<uint32_t>(meta_, 6);
  put<uint64_t>(meta_, v.size());
  for (float x : v) put(meta_, x);
  ++n_kv_;
}

void gguf_writer::add_i32s(const std::string& k, const std::vector<int32_t>& v) {
  put_key(meta_, k, 9);
  put<uint32_t>(meta_, 5);
  put<uint64_t>(meta_, v.size());
  for (int32_t x : v) put(meta_, x);
  ++n_kv_;
}

void gguf_writer::add_raw(const std::string& k, uint32_t type, const uint8_t* bytes, size_t size) {
  put_key(meta_, k, type);
  meta_.insert(meta_.end(), bytes, bytes + size);
  ++n_kv_;
}

void gguf_writer::add_tensor(const std::string& name, dtype type, std::vector<uint64_t> ne, filler fill) {
  uint64_t rows = 1;
  for (size_t i = 1; i < ne.size(); ++i) rows *= ne[i];
  uint64_t bytes = row_bytes(type, ne.at(0)) * rows;
  tensors_.push_back({name, type, std::move(ne), bytes, data_size_, std::move(fill)});
  data_size_ += (bytes + alignment - 1) / alignment * alignment;
}

void gguf_writer::add_tensor_f32(const std::string& name, dtype type, std::vector<uint64_t> ne,
                                 std::vector<float> values) {
  uint64_t cols = ne.at(0);
  add_tensor(name, type, std::move(ne), [type, cols, v = std::move(values)](uint8_t* dst, size_t) {
    size_t rb = row_bytes(type, cols);
    for (size_t r = 0; r * cols < v.size(); ++r) quantize_row(type, v.data() + r * cols, dst + r * rb, cols);
  });
}

std::vector<uint8_t> gguf_writer::header() const {
  std::vector<uint8_t> h;
  put<uint32_t>(h, 0x46554747);
  put<uint32_t>(h, 3);
  put<uint64_t>(h, tensors_.size());
  put<uint64_t>(h, n_kv_);
  h.insert(h.end(), meta_.begin(), meta_.end());
  for (auto& t : tensors_) {
    put_string(h, t.name);
    put<uint32_t>(h, static_cast<uint32_t>(t.ne.size()));
    for (auto d : t.ne) put<uint64_t>(h, d);
    put<uint32_t>(h, static_cast<uint32_t>(t.type));
    put<uint64_t>(h, t.offset);
  }
  h.resize((h.size() + alignment - 1) / alignment * alignment, 0);
  return h;
}

std::vector<uint8_t> gguf_writer::bytes() const {
  auto out = header();
  for (auto& t : tensors_) {
    size_t at = out.size();
    out.resize(at + (t.bytes + alignment - 1) / alignment * alignment, 0);
    t.fill(out.data() + at, t.bytes);
  }
  return out;
}

result<bool> gguf_writer::write(const std::string& path) const {
  return guarded([&] {
    std::string tmp = path + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw kernel_error("cannot create " + tmp + ": " + std::strerror(errno));
    auto fail = [&](const std::string& what) {
      ::close(fd);
      ::unlink(tmp.c_str());
      throw kernel_error(what + " " + tmp + ": " + std::strerror(errno));
    };
    auto h = header();
    if (!write_all(fd, h.data(), h.size())) fail("cannot write");
    std::vector<uint8_t> buf;
    for (auto& t : tensors_) {
      buf.assign((t.bytes + alignment - 1) / alignment * alignment, 0);
      t.fill(buf.data(), t.bytes);
      if (!write_all(fd, buf.data(), buf.size())) fail("cannot write");
    }
    if (::fsync(fd) != 0) fail("cannot sync");
    ::close(fd);
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
      ::unlink(tmp.c_str());
      throw kernel_error("cannot rename " + tmp + ": " + std::strerror(errno));
    }
    return true;
  });
}

} // namespace rbee::kernels
