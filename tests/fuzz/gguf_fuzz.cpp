// libFuzzer target: the GGUF parser, the model loader and the tokenizer loader
// on arbitrary bytes. Built and run briefly by tests/fuzz/run_target.sh (clang, ASan, UBSan).
#include "kernels/gguf.hpp"
#include "kernels/model.hpp"
#include "kernels/tokenizer.hpp"

#include <cstdint>
#include <cstring>
#include <memory>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A private copy, so that every read past the end is caught by ASan.
  std::unique_ptr<uint8_t[]> copy(new uint8_t[size ? size : 1]);
  std::memcpy(copy.get(), data, size);
  auto f = rbee::kernels::gguf_file::parse(copy.get(), size);
  if (!f) return 0;
  for (auto& key : (*f)->keys()) {
    auto* v = (*f)->find(key);
    try {
      if (v->type == rbee::kernels::gguf_type::array && v->elem == rbee::kernels::gguf_type::string)
        (*f)->get_strings(key);
      else if (v->type == rbee::kernels::gguf_type::string)
        (*f)->get_string(key);
    } catch (const rbee::kernels::kernel_error&) {
    }
  }
  auto m = rbee::kernels::model::from_gguf(*f);
  auto t = rbee::kernels::tokenizer::from_gguf(**f);
  if (t) {
    auto ids = (*t)->encode("Hello, world! 123 \xF0\x9F\x90\x9D", true, true);
    for (auto id : ids) (*t)->piece(id);
  }
  return 0;
}
