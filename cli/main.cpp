// rbee: one binary, many faces. Parses the command line and runs a subcommand.
#include "cli/app.hpp"
#include "cli/engine.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

extern char** environ;

namespace rbee::cli {

std::optional<config::settings> load_settings(const common_flags& f, const char* mode) {
  config::settings s;
  auto fail = [](const config::config_error& e) {
    std::cerr << "rbee: " << e.to_string() << "\n";
    return std::nullopt;
  };
  if (auto err = config::load(s, f.config_path, environ)) return fail(*err);
  auto set = [&](const char* key, const std::string& v) { return config::set_key(s, key, v); };
  std::optional<config::config_error> err;
  std::string m = mode;
  if (f.log_level && !err) err = set("log_level", *f.log_level);
  if (f.data_dir && !err) err = set("data_dir", *f.data_dir);
  if (f.bind && !err) err = set("bind", *f.bind);
  if (f.port && !err)
    err = set(m == "hive" ? "hive_port" : m == "catalog" ? "catalog_port" : "queen_port", std::to_string(*f.port));
  if (f.cluster_port && !err) err = set("queen_cluster_port", std::to_string(*f.cluster_port));
  if (f.hive_id && !err) err = set("hive_id", *f.hive_id);
  if (f.queen && !err) err = set(m == "hive" ? "queen_address" : "queen_url", *f.queen);
  if (err) {
    err->key = "--" + err->key; // flags are named after the keys
    return fail(*err);
  }
  if (auto e = config::finish(s)) return fail(*e);
  return s;
}

} // namespace rbee::cli

int main(int argc, char** argv) {
  using namespace rbee::cli;
  CLI::App app{"rbee: run large language models on the machines you own"};
  app.set_version_flag("--version", version);
  app.require_subcommand(1);
  common_flags f;
  app.add_option("--config", f.config_path, "config file (default: $XDG_CONFIG_HOME/rbee/config.json)");
  app.add_option("--log-level", f.log_level, "trace, debug, info, warn, error, off");

  auto* serve = app.add_subcommand("serve", "run queen, hive and HTTP API in one process (embedded mode)");
  serve->add_option("--port", f.port, "HTTP port (default 8500; 0 picks a free one)");
  serve->add_option("--bind", f.bind, "address to bind (default 127.0.0.1; others need api_token)");
  serve->add_option("--data-dir", f.data_dir, "where models and workers live");
  bool no_sandbox = false;
  serve->add_flag("--no-sandbox", no_sandbox, "build worker recipes without bubblewrap (install_sandbox=0); only where none can be had");
  bool allow_unsigned = false;
  serve->add_flag("--allow-unsigned-catalog", allow_unsigned,
                  "build workers from a catalog whose signature is missing or does not verify (development only)");

  auto* catalog = app.add_subcommand("catalog", "the worker catalog");
  catalog->require_subcommand(1);
  std::string catalog_dir;
  auto* catalog_serve = catalog->add_subcommand("serve", "serve worker recipes and sources over HTTP");
  catalog_serve->add_option("--port", f.port, "HTTP port (default 8787; 0 picks a free one)");
  catalog_serve->add_option("--bind", f.bind, "address to bind (default 127.0.0.1; others need api_token)");
  catalog_serve->add_option("--dir", catalog_dir, "the catalog directory (default: <data dir>/catalog; scripts/make-catalog.sh makes one)");
  std::string catalog_key_path;
  auto* catalog_keygen = catalog->add_subcommand("keygen", "make an Ed25519 signing key for catalogs; prints its public key (catalog_key)");
  catalog_keygen->add_option("--out", catalog_key_path, "where the private key goes (default: <config dir>/catalog-key.pem)");
  auto* catalog_sign = catalog->add_subcommand("sign", "sign a catalog: index.json (every PKGBUILD, meta.json and source with its sha256) and index.json.sig");
  catalog_sign->add_option("--dir", catalog_dir, "the catalog directory")->required();
  catalog_sign->add_option("--key", catalog_key_path, "the private key (default: <config dir>/catalog-key.pem, made when missing)");

  auto* queen = app.add_subcommand("queen", "run the queen: HTTP API + cluster port for remote hives");
  queen->add_option("--port", f.port, "HTTP port (default 8500; 0 picks a free one)");
  queen->add_option("--cluster-port", f.cluster_port, "CAF port hives join (default 7834; 0 picks one)");
  queen->add_option("--bind", f.bind, "address to bind (default 127.0.0.1; others need api_token)");
  queen->add_option("--data-dir", f.data_dir, "where state lives");

  auto* hive = app.add_subcommand("hive", "run a hive that joins a queen over the network");
  hive->add_option("--queen", f.queen, "the queen's cluster address HOST:PORT (default 127.0.0.1:7834)");
  hive->add_option("--id", f.hive_id, "the hive's id (default: the host name)");
  hive->add_option("--data-dir", f.data_dir, "where models and workers live");
  hive->add_option("--port", f.port, "the hive's own HTTP port (default 7835; 0 picks a free one)");
  hive->add_option("--bind", f.bind, "address of that port (default 127.0.0.1; others need api_token)");
  hive->add_flag("--no-sandbox", no_sandbox, "build worker recipes without bubblewrap (install_sandbox=0)");
  hive->add_flag("--allow-unsigned-catalog", allow_unsigned,
                 "build workers from a catalog whose signature is missing or does not verify (development only)");

  worker_args wa;
  auto* worker = app.add_subcommand("worker", "run one model in this process for a hive (the hive starts these)");
  worker->add_option("--hive", wa.hive, "the hive's worker address HOST:PORT")->required();
  worker->add_option("--model", wa.model, "the GGUF file")->required();
  worker->add_option("--id", wa.id, "the worker id the hive gave");
  worker->add_option("--name", wa.name, "the model's name as asked for");
  worker->add_option("--slots", wa.slots, "sequences decoded together")->check(CLI::Range(1, 64));
  worker->add_option("--ctx", wa.ctx, "context per sequence (0: the model's)")->check(CLI::Range(0, 1 << 20));
  worker->add_option("--device", wa.device, "cpu, cuda or cuda:N (a missing GPU is an error)");
  worker->add_flag("--exit-with-parent", wa.exit_with_parent, "end when the process that started this one ends");

  auto keeper_flag = [&](CLI::App* c) {
    c->add_option("--queen", f.queen, "the queen's URL (default http://127.0.0.1:8500, RBEE_QUEEN_URL)");
  };
  auto* status = app.add_subcommand("status", "show the queen, its hives and their capabilities");
  keeper_flag(status);
  auto* jobs = app.add_subcommand("jobs", "list the jobs the queen knows");
  keeper_flag(jobs);
  auto* job = app.add_subcommand("job", "submit, inspect or cancel a job");
  job->require_subcommand(1);
  std::string job_arg;
  auto* submit = job->add_subcommand("submit", "submit an operation and stream its narration");
  submit->add_option("operation", job_arg, "the operation as JSON, e.g. '{\"operation\":\"status\"}'")->required();
  keeper_flag(submit);
  auto* get = job->add_subcommand("get", "show one job");
  get->add_option("job_id", job_arg, "the job id")->required();
  keeper_flag(get);
  auto* cancel = job->add_subcommand("cancel", "cancel a job");
  cancel->add_option("job_id", job_arg, "the job id")->required();
  keeper_flag(cancel);
  auto* cfg = app.add_subcommand("config", "print the effective configuration as JSON");

  std::string run_model, run_prompt;
  auto* run = app.add_subcommand("run", "chat with a model (or answer one PROMPT and exit)");
  run->add_option("model", run_model, "a model in the store (org/repo[:QUANT]) or a GGUF file")->required();
  auto* run_prompt_opt = run->add_option("prompt", run_prompt, "answer this and exit");
  int run_max = 0;
  run->add_option("-n,--max-tokens", run_max, "at most this many tokens per answer (default: until the model stops)")
    ->check(CLI::Range(1, 1 << 20));
  keeper_flag(run);
  std::string pull_model;
  auto* pull = app.add_subcommand("pull", "download a model from Hugging Face into the store");
  pull->add_option("model", pull_model, "org/repo, org/repo:QUANT or org/repo:file.gguf")->required();
  keeper_flag(pull);
  auto* ls = app.add_subcommand("ls", "list the models in the store");
  keeper_flag(ls);
  std::string worker_id, worker_hive = "localhost";
  auto* workers = app.add_subcommand("workers", "worker binaries: what the catalog offers, what is installed");
  workers->require_subcommand(1);
  auto* workers_available = workers->add_subcommand("available", "the workers of the catalog (metadata as JSON)");
  auto* workers_installed = workers->add_subcommand("installed", "the workers installed on a hive");
  auto* install = app.add_subcommand("install", "build and install a worker from the catalog (the build streams live)");
  install->add_option("worker", worker_id, "the worker id (rbee workers available)")->required();
  bool without_gpu = false;
  install->add_flag("--without-gpu", without_gpu, "build a CUDA worker on a hive with no GPU to run it (a build host)");
  auto* uninstall = app.add_subcommand("uninstall", "remove an installed worker");
  uninstall->add_option("worker", worker_id, "the worker id")->required();
  for (auto* c : {workers_available, workers_installed, install, uninstall}) {
    keeper_flag(c);
    c->add_option("--hive", worker_hive, "the hive (default localhost, the embedded one)");
  }

  std::string rm_model;
  auto* rm = app.add_subcommand("rm", "delete a model from the store");
  rm->add_option("model", rm_model, "the model (as rbee ls shows it)")->required();
  keeper_flag(rm);
  auto* ps = app.add_subcommand("ps", "list the loaded models (workers)");
  keeper_flag(ps);
  std::string stop_model;
  auto* stop = app.add_subcommand("stop", "unload a model");
  stop->add_option("model", stop_model, "the model (as shown by rbee ps) or worker id")->required();
  keeper_flag(stop);

  std::string open_url;
  auto* open = app.add_subcommand("open", "handle an rbee:// link (download, run, install, open the dashboard)");
  open->add_option("url", open_url, "rbee://run/model/huggingface/ORG/REPO[:QUANT], rbee://install/worker/ID, ...")->required();
  keeper_flag(open);
  auto* protocol = app.add_subcommand("protocol", "make this rbee the desktop's handler of rbee:// links");
  protocol->require_subcommand(1);
  auto* protocol_register = protocol->add_subcommand("register", "install the desktop entry and set it as the rbee:// handler");
  auto* protocol_unregister = protocol->add_subcommand("unregister", "remove it");
  std::string shell;
  auto* completion = app.add_subcommand("completion", "print the shell completion script: source <(rbee completion bash)");
  completion->add_option("shell", shell, "bash or zsh")->required();
  for (auto* c : {status, jobs, submit, ls, ps, pull, rm, install, uninstall, workers_available, workers_installed, open})
    c->add_flag("--json", json_output, "machine-readable output (JSON)");

  marketplace_args mk;
  auto* marketplace = app.add_subcommand("marketplace", "the static model marketplace site");
  marketplace->require_subcommand(1);
  auto* mk_build = marketplace->add_subcommand("build", "write model pages from the Hugging Face API (HF_ENDPOINT)");
  mk_build->add_option("--out", mk.out, "the output directory")->required();
  auto* mk_models = mk_build->add_option("--models", mk.models, "org/repo,org/repo,... (default: the top N GGUF models)");
  mk_build->add_option("--top", mk.top, "the N most downloaded GGUF models (default 20)")->check(CLI::Range(1, 100))->excludes(mk_models);
  mk_build->add_option("--site", mk.site, "the site's public URL, for canonical links and the sitemap");
  mk_build->add_option("--rbee-url", mk.rbee_url, "where the button looks for a running rbee (default http://127.0.0.1:8500)");

  tokenize_args tk;
  auto* tokenize = app.add_subcommand("tokenize", "print the token ids of a text");
  tokenize->add_option("--model", tk.model, "GGUF model file")->required();
  tokenize->add_flag("--no-bos", tk.no_bos, "do not add the BOS token");
  auto* tk_text = tokenize->add_option("text", tk.text, "the text (verbatim)");
  auto* tk_file = tokenize->add_option("--file", tk.file, "read the text from a file");
  tk_text->excludes(tk_file);
  tokenize->require_option(2, 3);

  generate_args gen;
  auto* generate = app.add_subcommand("generate", "continue a prompt with a local model");
  generate->add_option("--model", gen.model, "GGUF model file")->required();
  generate->add_option("--prompt", gen.prompt, "the prompt")->required();
  generate->add_option("-n", gen.n, "tokens to generate (default 128)")->check(CLI::Range(1, 1 << 20));
  generate->add_option("--temperature", gen.temperature, "0 = greedy (default 0.8)")->check(CLI::Range(0.0, 100.0));
  generate->add_option("--seed", gen.seed, "random seed");
  generate->add_option("--top-k", gen.top_k, "0 = off (default 40)")->check(CLI::Range(0, 1 << 20));
  generate->add_option("--top-p", gen.top_p, "1 = off (default 0.95)")->check(CLI::Range(0.0, 1.0));
  generate->add_option("--min-p", gen.min_p, "0 = off (default 0.05)")->check(CLI::Range(0.0, 1.0));
  generate->add_option("--repeat-penalty", gen.repeat_penalty, "1 = off")->check(CLI::Range(0.0, 100.0));
  generate->add_option("--threads", gen.threads, "CPU threads (default: all)")->check(CLI::Range(0, 1024));
  generate->add_option("--device", gen.device, "cpu, cuda or cuda:N (a missing GPU is an error)");
  generate->add_option("--ctx", gen.ctx, "context size (default: the model's, at most 4096)")->check(CLI::Range(0, 1 << 20));
  generate->add_flag("--ids", gen.ids, "print token ids instead of text");
  generate->add_flag("--json", gen.json, "end with a JSON line of figures");

  auto* model_cmd = app.add_subcommand("model", "model files: synth");
  model_cmd->require_subcommand(1);
  synth_args sy;
  auto* synth = model_cmd->add_subcommand("synth", "write a GGUF with random weights in a real model's shape");
  synth->add_option("--shape", sy.shape, "stories15m, stories110m, tinyllama-1.1b, llama-3.2-1b, qwen2.5-0.5b")->required();
  synth->add_option("--type", sy.type, "f32, f16, q8_0, q4_0, q4_k_m")->required();
  synth->add_option("--out", sy.out, "output file")->required();
  synth->add_option("--seed", sy.seed, "random seed");

  quantize_args qa;
  auto* quantize = app.add_subcommand("quantize", "re-quantize a GGUF model: rbee quantize IN OUT TYPE");
  quantize->add_option("in", qa.in, "input GGUF")->required();
  quantize->add_option("out", qa.out, "output GGUF")->required();
  quantize->add_option("type", qa.type, "f32, f16, bf16, q8_0, q4_0, q4_k, q5_k, q6_k, q4_k_m")->required();

  bench_args bn;
  auto* bench = app.add_subcommand("bench", "prefill and decode speed, and the machine's memory bandwidth");
  bench->add_option("--model", bn.model, "GGUF model file")->required();
  bench->add_option("--threads", bn.threads, "CPU threads (default: all)")->check(CLI::Range(0, 1024));
  bench->add_option("--device", bn.device, "cpu, cuda or cuda:N: where the model runs");
  bench->add_option("-p", bn.prompt, "prompt tokens (default 512)")->check(CLI::Range(0, 1 << 16));
  bench->add_option("-n", bn.gen, "generated tokens (default 128)")->check(CLI::Range(0, 1 << 16));
  bench->add_flag("--json", bn.json, "print JSON instead of a table");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? ok : usage;
  }

  if (completion->parsed()) return cmd_completion(app, shell);
  if (protocol_register->parsed()) return cmd_protocol(true);
  if (protocol_unregister->parsed()) return cmd_protocol(false);
  if (tokenize->parsed()) return cmd_tokenize(tk);
  if (synth->parsed()) return cmd_synth(sy);
  if (quantize->parsed()) return cmd_quantize(qa);
  if (bench->parsed()) return cmd_bench(bn);
  if (generate->parsed()) return cmd_generate(gen);
  if (catalog_keygen->parsed()) return cmd_catalog_keygen(catalog_key_path);
  if (catalog_sign->parsed()) return cmd_catalog_sign(catalog_dir, catalog_key_path);
  const char* mode = hive->parsed() ? "hive" : catalog->parsed() ? "catalog" : "client";
  auto s = load_settings(f, mode);
  if (!s) return usage;
  if (no_sandbox) s->install_sandbox = 0;
  if (allow_unsigned) s->allow_unsigned_catalog = 1;
  if (serve->parsed()) return run_serve(*s);
  if (catalog_serve->parsed()) return run_catalog(*s, catalog_dir);
  if (queen->parsed()) return run_queen(*s);
  if (hive->parsed()) return run_hive(*s);
  if (worker->parsed()) return run_worker(*s, wa);
  if (status->parsed()) return cmd_status(*s);
  if (jobs->parsed()) return cmd_jobs(*s);
  if (submit->parsed()) return cmd_job_submit(*s, job_arg);
  if (get->parsed()) return cmd_job_get(*s, job_arg);
  if (cancel->parsed()) return cmd_job_cancel(*s, job_arg);
  if (run->parsed()) return cmd_run(*s, run_model, run_prompt, run_prompt_opt->count() > 0, run_max);
  if (ps->parsed()) return cmd_ps(*s);
  if (pull->parsed()) return cmd_pull(*s, pull_model);
  if (workers_available->parsed()) return cmd_worker_op(*s, "worker_catalog_list", worker_hive, "");
  if (workers_installed->parsed()) return cmd_worker_op(*s, "worker_list_installed", worker_hive, "");
  if (install->parsed()) return cmd_worker_op(*s, "worker_install", worker_hive, worker_id, without_gpu);
  if (uninstall->parsed()) return cmd_worker_op(*s, "worker_remove", worker_hive, worker_id);
  if (ls->parsed()) return cmd_ls(*s);
  if (open->parsed()) return cmd_open(*s, open_url, json_output);
  if (mk_build->parsed()) return cmd_marketplace_build(*s, mk);
  if (rm->parsed()) return cmd_rm(*s, rm_model);
  if (stop->parsed()) return cmd_stop(*s, stop_model);
  if (cfg->parsed()) {
    std::cout << rbee::config::to_json(*s);
    return ok;
  }
  return usage;
}
