// `rbee model synth` and `rbee bench`.
#include "cli/engine.hpp"

#include "kernels/bandwidth.hpp"
#include "kernels/context.hpp"
#include "kernels/cuda/check.hpp"
#include "kernels/quantize.hpp"
#include "kernels/synth.hpp"
#include "cli/commands.hpp"
#include "json/writer.hpp"

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <random>

namespace rbee::cli {

int cmd_synth(const synth_args& a) {
  auto t0 = std::chrono::steady_clock::now();
  auto r = kernels::synth_model(a.shape, a.type, a.out, a.seed, a.layers);
  if (!r) {
    std::cerr << "rbee: model synth: " << r.error() << "\n";
    return usage;
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "wrote %s (%s, %s) in %.1f s\n", a.out.c_str(), a.shape.c_str(), a.type.c_str(), s);
  return ok;
}

int cmd_quantize(const quantize_args& a) {
  auto t0 = std::chrono::steady_clock::now();
  auto r = kernels::quantize_model(a.in, a.out, a.type);
  if (!r) {
    std::cerr << "rbee: quantize: " << r.error() << "\n";
    return failure;
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "wrote %s (%s) in %.1f s\n", a.out.c_str(), a.type.c_str(), s);
  return ok;
}

int cmd_bench(const bench_args& a) {
  using clk = std::chrono::steady_clock;
  auto m = kernels::model::load(a.model, a.device.empty() || a.device == "cpu");
  if (!m) {
    std::cerr << "rbee: " << a.model << ": " << m.error() << "\n";
    return failure;
  }
  const auto& h = (*m)->hp();
  kernels::set_threads(a.threads);
  kernels::context_params cp;
  cp.n_ctx = std::max(a.prompt + a.gen + 8, 64);
  cp.n_batch = 256;
  cp.device = a.device;
  kernels::parse_kv_cache_type(a.kv_type, cp.kv_type); // checked by the option
  auto ctx = kernels::context::create(*m, cp);
  if (!ctx) {
    std::cerr << "rbee: " << ctx.error() << "\n";
    return failure;
  }
  std::mt19937 rng(42);
  std::vector<int32_t> prompt(static_cast<size_t>(std::max(a.prompt, 1)));
  for (auto& t : prompt) t = static_cast<int32_t>(rng() % static_cast<uint32_t>(h.n_vocab));
  double pp_tps = 0, tg_tps = 0;
  if (a.prompt > 0) {
    auto t0 = clk::now();
    auto r = (*ctx)->decode(prompt.data(), a.prompt);
    if (!r) return std::cerr << "rbee: " << r.error() << "\n", failure;
    pp_tps = a.prompt / std::chrono::duration<double>(clk::now() - t0).count();
  }
  if (a.gen > 0) {
    (*ctx)->reset();
    int32_t tok = prompt[0];
    auto warm = (*ctx)->decode(&tok, 1); // warm-up, not timed
    auto t0 = clk::now();
    for (int i = 0; i < a.gen; ++i) {
      tok = static_cast<int32_t>(rng() % static_cast<uint32_t>(h.n_vocab));
      auto r = (*ctx)->decode(&tok, 1);
      if (!r) return std::cerr << "rbee: " << r.error() << "\n", failure;
    }
    tg_tps = a.gen / std::chrono::duration<double>(clk::now() - t0).count();
  }
  bool gpu = (*ctx)->device() != "cpu";
  double bw = gpu ? kernels::cuda_check::copy_bandwidth(std::atoi((*ctx)->device().c_str() + 5))
                  : kernels::measure_read_bandwidth(kernels::threads());
  double bytes = static_cast<double>((*m)->weight_bytes_per_token());
  double frac = bw > 0 ? bytes * tg_tps / bw : 0;
  // Prefill against the int8 multiply-accumulate peak (the CPU's; prefill quantizes activations to int8).
  const double peak = gpu ? 0 : kernels::measure_int8_peak(kernels::threads());
  const double macs = static_cast<double>((*m)->macs_per_token(false)); // a prompt's tokens skip the output head
  const double pp_frac = peak > 0 ? macs * pp_tps / peak : 0;
  // The KV cache a position takes: every layer's K and V rows.
  const double kv_per_token = 2.0 * h.n_layer * h.n_head_kv * h.head_dim *
                              (gpu || cp.kv_type == kernels::kv_cache_type::f16 ? 2 : 4);
  if (a.json) {
    // The path and the file's architecture name are the user's and the file's text: the writer escapes them.
    rapidjson::StringBuffer buf;
    json::writer w(buf);
    auto round_to = [](double v, double unit) { return std::round(v / unit) * unit; };
    w.StartObject();
    w.Key("model"), w.String(a.model);
    w.Key("device"), w.String((*ctx)->device());
    w.Key("arch"), w.String(h.arch_name);
    w.Key("threads"), w.Int(kernels::threads());
    w.Key("prompt_tokens"), w.Int(a.prompt);
    w.Key("gen_tokens"), w.Int(a.gen);
    w.Key("prefill_tps"), w.Double(round_to(pp_tps, 0.01));
    w.Key("decode_tps"), w.Double(round_to(tg_tps, 0.01));
    w.Key("weight_bytes_per_token"), w.Double(std::round(bytes));
    w.Key("read_bandwidth_gbs"), w.Double(round_to(bw / 1e9, 0.01));
    w.Key("decode_bandwidth_fraction"), w.Double(round_to(frac, 0.001));
    w.Key("macs_per_token"), w.Double(macs);
    if (!gpu) w.Key("int8_peak_gmacs"), w.Double(round_to(peak / 1e9, 0.1));
    if (!gpu) w.Key("prefill_int8_fraction"), w.Double(round_to(pp_frac, 0.001));
    w.Key("kv_type"), w.String(gpu ? "f16" : a.kv_type);
    w.Key("kv_bytes_per_token"), w.Double(kv_per_token);
    w.EndObject();
    std::printf("%s\n", buf.GetString());
  } else {
    std::printf("| model | threads | test | t/s |\n|---|---|---|---|\n");
    std::printf("| %s | %d | pp%d | %.2f |\n", a.model.c_str(), kernels::threads(), a.prompt, pp_tps);
    std::printf("| %s | %d | tg%d | %.2f |\n", a.model.c_str(), kernels::threads(), a.gen, tg_tps);
    std::printf("\ndevice %s; weights read per token: %.1f MiB; %s: %.1f GB/s; decode reaches %.0f%% of it\n",
                (*ctx)->device().c_str(), bytes / (1 << 20), gpu ? "GPU memory copy bandwidth" : "memory read bandwidth",
                bw / 1e9, frac * 100);
    if (!gpu)
      std::printf("int8 multiply-accumulate peak: %.0f G/s; prefill (%.2f G per token) reaches %.0f%% of it\n", peak / 1e9,
                  macs / 1e9, pp_frac * 100);
    std::printf("KV cache (%s): %.1f KiB per position\n", gpu ? "f16" : a.kv_type.c_str(), kv_per_token / 1024);
  }
  return ok;
}

namespace {

const bool registered_model = register_command({250, [](CLI::App& app, common_flags&, command_runs& runs) {
  auto* model = app.add_subcommand("model", "model files: synth");
  model->require_subcommand(1);
  auto sy = std::make_shared<synth_args>();
  auto* synth = model->add_subcommand("synth", "write a GGUF with random weights in a real model's shape");
  synth->add_option("--shape", sy->shape, "stories15m, stories110m, tinyllama-1.1b, llama-3.2-1b, qwen2.5-0.5b, qwen3-0.6b, qwen3-4b, gemma3-1b")->required();
  synth->add_option("--type", sy->type, "f32, f16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k_m")->required();
  synth->add_option("--out", sy->out, "output file")->required();
  synth->add_option("--seed", sy->seed, "random seed");
  synth->add_option("--layers", sy->layers, "keep the shape's first N layers (every path of a big model, small)")->check(CLI::Range(1, 1024));
  runs.emplace_back(synth, [sy](command_context&) { return cmd_synth(*sy); });
}});

const bool registered_quantize = register_command({260, [](CLI::App& app, common_flags&, command_runs& runs) {
  auto qa = std::make_shared<quantize_args>();
  auto* quantize = app.add_subcommand("quantize", "re-quantize a GGUF model: rbee quantize IN OUT TYPE");
  quantize->add_option("in", qa->in, "input GGUF")->required();
  quantize->add_option("out", qa->out, "output GGUF")->required();
  quantize->add_option("type", qa->type, "f32, f16, bf16, q8_0, q4_0, q4_k, q5_k, q6_k, q4_k_m")->required();
  runs.emplace_back(quantize, [qa](command_context&) { return cmd_quantize(*qa); });
}});

const bool registered_bench = register_command({270, [](CLI::App& app, common_flags&, command_runs& runs) {
  auto bn = std::make_shared<bench_args>();
  auto* bench = app.add_subcommand("bench", "prefill and decode speed, and the machine's memory bandwidth");
  bench->add_option("--model", bn->model, "GGUF model file")->required();
  bench->add_option("--threads", bn->threads, "CPU threads (default: all)")->check(CLI::Range(0, 1024));
  bench->add_option("--device", bn->device, "cpu, cuda or cuda:N: where the model runs");
  bench->add_option("-p", bn->prompt, "prompt tokens (default 512)")->check(CLI::Range(0, 1 << 16));
  bench->add_option("-n", bn->gen, "generated tokens (default 128)")->check(CLI::Range(0, 1 << 16));
  bench->add_option("--kv-type", bn->kv_type, "the CPU's KV cache: f16 (default) or f32")->check(CLI::IsMember({"f16", "f32"}));
  bench->add_flag("--json", bn->json, "print JSON instead of a table");
  runs.emplace_back(bench, [bn](command_context&) { return cmd_bench(*bn); });
}});

} // namespace

} // namespace rbee::cli
