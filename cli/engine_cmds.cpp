// `rbee tokenize` and `rbee generate`: the engine's command-line face.
#include "cli/engine.hpp"

#include "kernels/generate.hpp"
#include "kernels/parallel.hpp"
#include "cli/commands.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

namespace rbee::cli {

namespace {

struct loaded {
  std::shared_ptr<kernels::model> model;
  std::shared_ptr<kernels::tokenizer> tok;
};

std::optional<loaded> load(const std::string& path, bool for_cpu = true) {
  auto m = kernels::model::load(path, for_cpu);
  if (!m) {
    std::cerr << "rbee: " << path << ": " << m.error() << "\n";
    return std::nullopt;
  }
  auto t = kernels::tokenizer::from_gguf((*m)->file());
  if (!t) {
    std::cerr << "rbee: " << path << ": " << t.error() << "\n";
    return std::nullopt;
  }
  return loaded{*m, *t};
}

} // namespace

int cmd_tokenize(const tokenize_args& a) {
  std::string text = a.text;
  if (!a.file.empty()) {
    std::ifstream in(a.file, std::ios::binary);
    if (!in) {
      std::cerr << "rbee: cannot read " << a.file << "\n";
      return failure;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  auto t = kernels::gguf_file::open(a.model);
  if (!t) {
    std::cerr << "rbee: " << a.model << ": " << t.error() << "\n";
    return failure;
  }
  auto tok = kernels::tokenizer::from_gguf(**t);
  if (!tok) {
    std::cerr << "rbee: " << a.model << ": " << tok.error() << "\n";
    return failure;
  }
  auto ids = (*tok)->encode(text, !a.no_bos && (*tok)->add_bos());
  std::string line;
  for (size_t i = 0; i < ids.size(); ++i) line += (i ? " " : "") + std::to_string(ids[i]);
  std::printf("%s\n", line.c_str());
  return ok;
}

int cmd_generate(const generate_args& a) {
  auto l = load(a.model, a.device.empty() || a.device == "cpu");
  if (!l) return failure;
  kernels::set_threads(a.threads);
  kernels::context_params cp;
  cp.n_ctx = a.ctx;
  kernels::parse_kv_cache_type(a.kv_type, cp.kv_type); // checked by the option
  cp.device = a.device;
  auto ctx = kernels::context::create(l->model, cp);
  if (!ctx) {
    std::cerr << "rbee: " << ctx.error() << "\n";
    return failure;
  }
  kernels::generate_params gp;
  gp.max_tokens = a.n;
  gp.sampling.temperature = a.temperature;
  gp.sampling.top_k = a.top_k;
  gp.sampling.top_p = a.top_p;
  gp.sampling.min_p = a.min_p;
  gp.sampling.repetition_penalty = a.repeat_penalty;
  gp.sampling.seed = a.seed;
  auto prompt = l->tok->encode(a.prompt, l->tok->add_bos());
  bool first = true;
  auto st = kernels::generate(**ctx, *l->tok, prompt, gp, [&](int32_t id, std::string_view text) {
    if (a.ids) {
      if (id >= 0) std::printf(first ? "%d" : " %d", id);
      first = false;
    } else {
      std::fwrite(text.data(), 1, text.size(), stdout);
    }
    std::fflush(stdout);
    return true;
  });
  std::printf("\n");
  if (!st) {
    std::cerr << "rbee: " << st.error() << "\n";
    return failure;
  }
  if (a.json)
    std::printf("{\"prompt_tokens\":%d,\"generated_tokens\":%d,\"prefill_tps\":%.2f,\"decode_tps\":%.2f,"
                "\"finish_reason\":\"%s\"}\n",
                st->prompt_tokens, st->generated, st->prompt_tokens / std::max(st->prefill_seconds, 1e-9),
                st->generated > 1 ? (st->generated - 1) / std::max(st->decode_seconds, 1e-9) : 0.0,
                std::string(kernels::to_string(st->reason)).c_str());
  return ok;
}

namespace {

const bool registered_tokenize = register_command({230, [](CLI::App& app, common_flags&, command_runs& runs) {
  auto tk = std::make_shared<tokenize_args>();
  auto* tokenize = app.add_subcommand("tokenize", "print the token ids of a text");
  tokenize->add_option("--model", tk->model, "GGUF model file")->required();
  tokenize->add_flag("--no-bos", tk->no_bos, "do not add the BOS token");
  auto* text = tokenize->add_option("text", tk->text, "the text (verbatim)");
  auto* file = tokenize->add_option("--file", tk->file, "read the text from a file");
  text->excludes(file);
  tokenize->require_option(2, 3);
  runs.emplace_back(tokenize, [tk](command_context&) { return cmd_tokenize(*tk); });
}});

const bool registered_generate = register_command({240, [](CLI::App& app, common_flags&, command_runs& runs) {
  auto gen = std::make_shared<generate_args>();
  auto* generate = app.add_subcommand("generate", "continue a prompt with a local model");
  generate->add_option("--model", gen->model, "GGUF model file")->required();
  generate->add_option("--prompt", gen->prompt, "the prompt")->required();
  generate->add_option("-n", gen->n, "tokens to generate (default 128)")->check(CLI::Range(1, 1 << 20));
  generate->add_option("--temperature", gen->temperature, "0 = greedy (default 0.8)")->check(CLI::Range(0.0, 100.0));
  generate->add_option("--seed", gen->seed, "random seed");
  generate->add_option("--top-k", gen->top_k, "0 = off (default 40)")->check(CLI::Range(0, 1 << 20));
  generate->add_option("--top-p", gen->top_p, "1 = off (default 0.95)")->check(CLI::Range(0.0, 1.0));
  generate->add_option("--min-p", gen->min_p, "0 = off (default 0.05)")->check(CLI::Range(0.0, 1.0));
  generate->add_option("--repeat-penalty", gen->repeat_penalty, "1 = off")->check(CLI::Range(0.0, 100.0));
  generate->add_option("--threads", gen->threads, "CPU threads (default: all)")->check(CLI::Range(0, 1024));
  generate->add_option("--device", gen->device, "cpu, cuda or cuda:N (a missing GPU is an error)");
  generate->add_option("--ctx", gen->ctx, "context size (default: the model's, at most 4096)")->check(CLI::Range(0, 1 << 20));
  generate->add_option("--kv-type", gen->kv_type, "the CPU's KV cache: f16 (default, half the memory) or f32")
    ->check(CLI::IsMember({"f16", "f32"}));
  generate->add_flag("--ids", gen->ids, "print token ids instead of text");
  generate->add_flag("--json", gen->json, "end with a JSON line of figures");
  runs.emplace_back(generate, [gen](command_context&) { return cmd_generate(*gen); });
}});

} // namespace

} // namespace rbee::cli
