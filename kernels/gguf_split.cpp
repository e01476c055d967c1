// Split models: llama.cpp's gguf-split writes a large model as NAME-00001-of-0000N.gguf ...,
// each part a GGUF file with split.no, split.count and its share of the tensors, the
// metadata in the first. rbee opens them as one file and can write them (for tests,
// and for files over a filesystem's or a host's size limit).
#include "kernels/gguf.hpp"
#include "kernels/gguf_split.hpp"
#include "kernels/gguf_writer.hpp"

#include <algorithm>
#include <cstdio>

namespace rbee::kernels {

std::optional<split_name> parse_split_name(const std::string& path) {
  // <prefix>-NNNNN-of-MMMMM.gguf: 15 characters between the prefix and ".gguf".
  const size_t tail = 15 + 5;
  if (path.size() <= tail || path.compare(path.size() - 5, 5, ".gguf") != 0) return std::nullopt;
  std::string s = path.substr(path.size() - tail, 15);
  auto digits = [&](size_t at) {
    int v = 0;
    for (size_t i = at; i < at + 5; ++i) {
      if (s[i] < '0' || s[i] > '9') return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  if (s[0] != '-' || s.compare(6, 4, "-of-") != 0) return std::nullopt;
  int no = digits(1), count = digits(10);
  if (no < 1 || count < 1 || no > count) return std::nullopt;
  return split_name{path.substr(0, path.size() - tail), no, count};
}

std::string split_path(const std::string& prefix, int no, int count) {
  char tail[32];
  std::snprintf(tail, sizeof(tail), "-%05d-of-%05d.gguf", no, count);
  return prefix + tail;
}

result<std::shared_ptr<gguf_file>> gguf_file::open(const std::string& path) {
  return guarded([&] {
    auto f = open_one(path);
    f->join_parts(path);
    return f;
  });
}

void gguf_file::join_parts(const std::string& path) {
  const uint64_t count = opt_uint("split.count", 1), no = opt_uint("split.no", 0);
  if (count <= 1 && no == 0) return;
  if (count > 9999 || no >= count) throw kernel_error(path + ": split.no " + std::to_string(no) + " of split.count " +
                                                      std::to_string(count) + " is out of range");
  const auto name = parse_split_name(path);
  const std::string n = std::to_string(count);
  if (no != 0)
    throw kernel_error(path + " is part " + std::to_string(no + 1) + " of " + n + " of a split model; open its first part" +
                       (name ? " " + split_path(name->prefix, 1, static_cast<int>(count)) : ""));
  if (!name || name->no != 1 || name->count != static_cast<int>(count))
    throw kernel_error(path + " is the first of " + n + " parts of a split model but is not named like one (NAME" +
                       split_path("", 1, static_cast<int>(count)) + ")");
  for (int i = 2; i <= static_cast<int>(count); ++i) {
    std::string p = split_path(name->prefix, i, static_cast<int>(count));
    auto part = open_one(p); // the error names the missing or broken part
    if (part->opt_uint("split.no", 0) != static_cast<uint64_t>(i - 1) || part->opt_uint("split.count", 0) != count)
      throw kernel_error(p + " is not part " + std::to_string(i) + " of " + n + " of " + path + "'s model");
    for (const auto& t : part->tensors_) {
      if (!by_name_.emplace(t.name, tensors_.size()).second)
        throw kernel_error("tensor '" + t.name + "' appears in two parts of the split model");
      tensors_.push_back(t);
    }
    paths_.push_back(p);
    parts_.push_back(std::move(part));
  }
  if (uint64_t expected = opt_uint("split.tensors.count", tensors_.size()); expected != tensors_.size())
    throw kernel_error("the split model's parts hold " + std::to_string(tensors_.size()) + " tensors; its first part says " +
                       std::to_string(expected));
}

size_t gguf_file::file_size() const {
  size_t total = size_;
  for (const auto& p : parts_) total += p->size_;
  return total;
}

result<std::vector<std::string>> split_model(const std::string& in, const std::string& prefix, int parts) {
  auto f = gguf_file::open(in);
  if (!f) return result<std::vector<std::string>>::failure(f.error());
  const auto& file = **f;
  const int n_tensors = static_cast<int>(file.tensors().size());
  if (parts < 2 || parts > 9999 || parts > n_tensors)
    return result<std::vector<std::string>>::failure("cannot split " + std::to_string(n_tensors) + " tensors into " +
                                                     std::to_string(parts) + " parts");
  return guarded([&] {
    std::vector<std::string> out;
    for (int i = 0; i < parts; ++i) {
      gguf_writer w;
      if (i == 0)
        for (auto& key : file.keys()) {
          if (key.rfind("split.", 0) == 0) continue;
          auto* v = file.find(key);
          w.add_raw(key, static_cast<uint32_t>(v->type), v->raw, v->size);
        }
      w.add_u16("split.no", static_cast<uint16_t>(i));
      w.add_u16("split.count", static_cast<uint16_t>(parts));
      w.add_i32("split.tensors.count", n_tensors);
      // An even share of the tensors, in order.
      for (int t = n_tensors * i / parts; t < n_tensors * (i + 1) / parts; ++t) {
        const gguf_tensor* src = &file.tensors()[static_cast<size_t>(t)];
        w.add_tensor(src->name, src->type, src->ne, [src](uint8_t* dst, size_t bytes) {
          std::copy(src->data, src->data + std::min<uint64_t>(bytes, src->bytes), dst);
        });
      }
      std::string path = split_path(prefix, i + 1, parts);
      auto r = w.write(path);
      if (!r) throw kernel_error(r.error());
      out.push_back(path);
    }
    return out;
  });
}

} // namespace rbee::kernels
