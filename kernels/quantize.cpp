#include "kernels/quantize.hpp"

#include "kernels/gguf.hpp"
#include "kernels/gguf_writer.hpp"
#include "kernels/parallel.hpp"

namespace rbee::kernels {

namespace {

bool parse_type(const std::string& s, dtype& t) {
  static const std::pair<const char*, dtype> names[] = {
    {"f32", dtype::f32}, {"f16", dtype::f16}, {"bf16", dtype::bf16}, {"q8_0", dtype::q8_0}, {"q4_0", dtype::q4_0},
    {"q4_k", dtype::q4_k}, {"q5_k", dtype::q5_k}, {"q6_k", dtype::q6_k}, {"q4_k_m", dtype::q4_k}};
  for (auto& [n, v] : names)
    if (s == n) {
      t = v;
      return true;
    }
  return false;
}

/// The type for one tensor: Q4_K_M keeps output and (some) attn_v / ffn_down in Q6_K.
dtype target(const gguf_tensor& t, dtype want, bool q4_k_m, int n_layer) {
  if (t.ne.size() < 2) return t.type; // norms and biases stay as they are
  if (q4_k_m) {
    int layer = -1;
    if (t.name.rfind("blk.", 0) == 0) layer = std::atoi(t.name.c_str() + 4);
    bool more = layer >= 0 && (layer < n_layer / 8 || layer >= 7 * n_layer / 8 || (layer - n_layer / 8) % 3 == 2);
    if (t.name == "output.weight" ||
        (more && (t.name.find("attn_v.") != std::string::npos || t.name.find("ffn_down.") != std::string::npos)))
      want = dtype::q6_k;
  }
  if (t.ne[0] % info(want).block) want = t.ne[0] % 32 ? dtype::f16 : dtype::q8_0;
  return want;
}

} // namespace

result<bool> quantize_model(const std::string& in, const std::string& out, const std::string& type) {
  dtype want;
  if (!parse_type(type, want))
    return result<bool>::failure("unknown type '" + type + "' (f32, f16, bf16, q8_0, q4_0, q4_k, q5_k, q6_k, q4_k_m)");
  if (in == out) return result<bool>::failure("the output must be another file than the input");
  auto f = gguf_file::open(in);
  if (!f) return result<bool>::failure(f.error());
  return guarded([&] {
    const auto& file = **f;
    gguf_writer w;
    for (auto& key : file.keys()) {
      auto* v = file.find(key);
      if (key == "general.file_type") continue;
      w.add_raw(key, static_cast<uint32_t>(v->type), v->raw, v->size);
    }
    std::string arch = file.opt_string("general.architecture", "");
    int n_layer = static_cast<int>(file.opt_uint(arch + ".block_count", 0));
    for (auto& t : file.tensors()) {
      dtype to = target(t, want, type == "q4_k_m", n_layer);
      const gguf_tensor* src = &t;
      w.add_tensor(t.name, to, t.ne, [src, to](uint8_t* dst, size_t) {
        const uint64_t cols = src->ne[0];
        const size_t in_rb = row_bytes(src->type, cols), out_rb = row_bytes(to, cols);
        const int rows = static_cast<int>(src->rows());
        parallel_for(0, rows, 16, [&](int lo, int hi) {
          std::vector<float> row(cols);
          for (int r = lo; r < hi; ++r) {
            dequantize_row(src->type, src->data + in_rb * static_cast<size_t>(r), row.data(), cols);
            quantize_row(to, row.data(), dst + out_rb * static_cast<size_t>(r), cols);
          }
        });
      });
    }
    auto r = w.write(out);
    if (!r) throw kernel_error(r.error());
    return true;
  });
}

} // namespace rbee::kernels
