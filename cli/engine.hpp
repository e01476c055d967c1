#pragma once
// Arguments of the engine commands (tokenize, generate, model synth, bench).

#include "cli/app.hpp"

#include <cstdint>
#include <string>

namespace rbee::cli {

struct tokenize_args {
  std::string model;
  std::string text;
  std::string file;
  bool no_bos = false;
};

struct generate_args {
  std::string model;
  std::string prompt;
  int n = 128;
  float temperature = 0.8f;
  uint64_t seed = 0xdecafbad;
  int top_k = 40;
  float top_p = 0.95f;
  float min_p = 0.05f;
  float repeat_penalty = 1.0f;
  int threads = 0;
  int ctx = 0;
  std::string device = "cpu";
  std::string kv_type = "f16";
  bool ids = false;
  bool json = false;
};

struct synth_args {
  std::string shape;
  std::string type;
  std::string out;
  uint64_t seed = 1;
  int layers = 0; ///< the shape's first N layers (0: all)
};

struct bench_args {
  std::string model;
  int threads = 0;
  int prompt = 512;
  int gen = 128;
  std::string device = "cpu";
  std::string kv_type = "f16";
  bool json = false;
};

struct quantize_args {
  std::string in, out, type;
};

struct worker_args {
  std::string hive, model, id, name;
  int slots = 4;
  int ctx = 0;
  std::string device = "cpu";
  bool exit_with_parent = false; ///< the hive started us: end when it ends, however it ends
};

int run_worker(config::settings s, const worker_args& a);
int cmd_tokenize(const tokenize_args& a);
int cmd_quantize(const quantize_args& a);
int cmd_synth(const synth_args& a);
int cmd_bench(const bench_args& a);
int cmd_generate(const generate_args& a);

} // namespace rbee::cli
