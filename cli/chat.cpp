// `rbee run MODEL [PROMPT]`, `rbee ps`, `rbee stop MODEL`: models as a user meets them.
#include "cli/app.hpp"
#include "cli/client.hpp"
#include "json/parse.hpp"
#include "json/writer.hpp"
#include "cli/commands.hpp"

#include <CLI/CLI.hpp>
#include <rapidjson/document.h>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <iostream>

namespace rbee::cli {

namespace {

std::atomic<bool> interrupted{false};

void on_sigint(int) {
  interrupted = true;
}

/// A model argument: an existing file becomes an absolute path (the server
/// accepts paths from loopback clients), anything else is a store name.
std::string model_ref(const std::string& m) {
  std::error_code ec;
  if (m.find('/') != std::string::npos && std::filesystem::is_regular_file(m, ec))
    return std::filesystem::absolute(m, ec).string();
  if (m.size() > 5 && m.substr(m.size() - 5) == ".gguf" && std::filesystem::is_regular_file(m, ec))
    return std::filesystem::absolute(m, ec).string();
  return m;
}

struct message {
  std::string role, content;
};

std::string chat_body(const std::string& model, const std::vector<message>& history, int max_tokens) {
  rapidjson::StringBuffer buf;
  rbee::json::writer w(buf);
  w.StartObject();
  w.Key("model");
  w.String(model.c_str());
  if (max_tokens > 0) {
    w.Key("max_tokens");
    w.Int(max_tokens);
  }
  w.Key("stream");
  w.Bool(true);
  w.Key("messages");
  w.StartArray();
  for (auto& m : history) {
    w.StartObject();
    w.Key("role");
    w.String(m.role.c_str());
    w.Key("content");
    w.String(m.content.c_str(), static_cast<rapidjson::SizeType>(m.content.size()));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return buf.GetString();
}

/// Streams one answer to stdout; returns its text, or nullopt on an error.
std::optional<std::string> answer(const client& c, const std::string& model, const std::vector<message>& history,
                                  int max_tokens) {
  std::string text, error;
  interrupted = false;
  auto r = net::sse_request(c.u, "POST", "/v1/chat/completions", chat_body(model, history, max_tokens), c.auth,
                            [&](const net::sse_event& e) {
                              if (interrupted) return false; // Ctrl-C: hang up; the server cancels
                              if (e.data == "[DONE]") return false;
                              rapidjson::Document d;
                              rbee::json::parse(d, e.data);
                              if (d.HasParseError() || !d.IsObject()) return true;
                              if (d.HasMember("error") && d["error"].IsObject() && d["error"].HasMember("message") &&
                                  d["error"]["message"].IsString()) {
                                error = d["error"]["message"].GetString();
                                return false;
                              }
                              if (d.HasMember("choices") && d["choices"].IsArray() && !d["choices"].Empty()) {
                                auto& ch = d["choices"][0];
                                if (ch.IsObject() && ch.HasMember("delta") && ch["delta"].IsObject() && ch["delta"].HasMember("content") &&
                                    ch["delta"]["content"].IsString()) {
                                  std::string piece = ch["delta"]["content"].GetString();
                                  text += piece;
                                  piece = terminal_safe(piece); // a model can emit escape sequences too
                                  std::fwrite(piece.data(), 1, piece.size(), stdout);
                                  std::fflush(stdout);
                                }
                              }
                              return true;
                            },
                            std::chrono::minutes(10));
  if (r.status != 200) {
    report(c, r);
    return std::nullopt;
  }
  std::printf("\n");
  if (!error.empty()) {
    std::cerr << "rbee: " << terminal_safe(error) << "\n";
    return std::nullopt;
  }
  return text;
}

} // namespace

int cmd_run(const config::settings& s, const std::string& model, const std::string& prompt, bool has_prompt,
            int max_tokens, const std::string& hive) {
  auto c = connect_or_start(s);
  if (!c) return failure;
  std::string ref = model_ref(model);
  // Everything the model needs (download, worker build and install, load) as one
  // auto_run job: quiet when there is nothing to do, progress when there is.
  {
    rapidjson::StringBuffer buf;
    rbee::json::writer w(buf);
    w.StartObject();
    w.Key("operation");
    w.String("auto_run");
    w.Key("model");
    w.String(ref.c_str(), static_cast<rapidjson::SizeType>(ref.size()));
    if (!hive.empty()) {
      w.Key("hive_id");
      w.String(hive);
    }
    w.EndObject();
    follow_options o;
    o.quiet = true;
    o.on_result = [](const std::string&) {};
    if (int rc = follow_job(*c, buf.GetString(), o); rc != ok) return rc;
  }
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigaction(SIGINT, &sa, nullptr); // no SA_RESTART: a read at the prompt is interrupted
  std::vector<message> history;
  if (has_prompt) {
    history.push_back({"user", prompt});
    return answer(*c, ref, history, max_tokens) ? ok : failure;
  }
  bool tty = isatty(0);
  if (tty) std::fprintf(stderr, "chatting with %s — Ctrl-C stops an answer, Ctrl-D quits\n", model.c_str());
  for (;;) {
    if (tty) {
      std::fprintf(stderr, ">>> ");
      std::fflush(stderr);
    }
    std::string line;
    interrupted = false;
    if (!std::getline(std::cin, line)) {
      if (interrupted && tty) { // Ctrl-C at the prompt: a fresh line
        std::cin.clear();
        std::fprintf(stderr, "\n");
        continue;
      }
      if (tty) std::fprintf(stderr, "\n");
      return ok; // Ctrl-D
    }
    if (line.empty()) continue;
    history.push_back({"user", line});
    auto text = answer(*c, ref, history, max_tokens);
    if (!text) {
      history.pop_back();
      if (!tty) return failure;
      continue;
    }
    history.push_back({"assistant", *text});
  }
}

int cmd_ps(const config::settings& s, const std::string& hive) {
  auto c = connect(s);
  if (!c) return usage;
  rapidjson::Document d;
  if (auto done = get_list(*c, "/v1/workers", "workers", d)) return *done;
  std::printf("%-36s %-14s %-12s %-7s %-10s %-6s %-7s %s\n", "MODEL", "HIVE", "WORKER", "DEVICE", "MEMORY", "BUSY", "TOK/S", "IDLE");
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  for (auto& w : d["workers"].GetArray()) {
    if (!hive.empty() && hive != w["hive_id"].GetString()) continue;
    double mib = static_cast<double>(w["memory_bytes"].GetUint64()) / (1 << 20);
    int64_t idle = (now - w["last_used_ms"].GetInt64()) / 1000;
    double tps = w.HasMember("tokens_per_s") && w["tokens_per_s"].IsNumber() ? w["tokens_per_s"].GetDouble() : 0;
    std::printf("%-36s %-14s %-12s %-7s %7.0f MiB %-6d %-7.1f %llds (keep %ds)\n", w["model"].GetString(),
                w["hive_id"].GetString(), w["worker_id"].GetString(), w["device"].GetString(), mib,
                w["busy"].GetInt(), tps, static_cast<long long>(idle), w["keep_alive_s"].GetInt());
  }
  return ok;
}

int cmd_stop(const config::settings& s, const std::string& model, const std::string& hive) {
  auto c = connect(s);
  if (!c) return usage;
  rapidjson::Document d;
  if (auto done = get_list(*c, "/v1/workers", "workers", d)) return *done;
  std::string ref = model_ref(model);
  int stopped = 0;
  for (auto& w : d["workers"].GetArray()) {
    std::string name = w["model"].GetString(), path = w["model_path"].GetString(), id = w["worker_id"].GetString();
    if (name != model && name != ref && path != ref && id != model) continue;
    if (!hive.empty() && hive != w["hive_id"].GetString()) continue;
    std::string op = std::string(R"({"operation":"worker_stop","hive_id":")") + w["hive_id"].GetString() +
                     R"(","worker_id":")" + id + "\"}";
    auto sr = net::http_call(c->u, "POST", "/v1/jobs", op, c->auth);
    if (sr.status != 202) return report(*c, sr);
    std::printf("stopping %s (%s on %s)\n", name.c_str(), id.c_str(), w["hive_id"].GetString());
    ++stopped;
  }
  if (!stopped) {
    std::cerr << "rbee: no loaded model '" << model << "' (see rbee ps)\n";
    return failure;
  }
  return ok;
}

namespace {

struct run_flags {
  std::string model, prompt, hive;
  int max_tokens = 0;
};

const bool registered_run = register_command({100, [](CLI::App& app, common_flags& f, command_runs& runs) {
  auto a = std::make_shared<run_flags>();
  auto* run = app.add_subcommand("run", "chat with a model (or answer one PROMPT and exit)");
  run->add_option("model", a->model, "a model in the store (org/repo[:QUANT]) or a GGUF file")->required();
  auto* prompt = run->add_option("prompt", a->prompt, "answer this and exit");
  run->add_option("-n,--max-tokens", a->max_tokens, "at most this many tokens per answer (default: until the model stops)")
    ->check(CLI::Range(1, 1 << 20));
  run->add_option("--hive", a->hive, "run it on this hive (default: the embedded one, else the queen places it)");
  add_queen_flag(run, f);
  runs.emplace_back(run, with_client_settings([a, prompt](const config::settings& s) {
    return cmd_run(s, a->model, a->prompt, prompt->count() > 0, a->max_tokens, a->hive);
  }));
}});

const bool registered_ps = register_command({170, [](CLI::App& app, common_flags& f, command_runs& runs) {
  auto hive = std::make_shared<std::string>();
  auto* ps = app.add_subcommand("ps", "list the loaded models (workers) of every hive");
  ps->add_option("--hive", *hive, "only this hive's");
  add_queen_flag(ps, f);
  add_json_flag(ps);
  runs.emplace_back(ps, with_client_settings([hive](const config::settings& s) { return cmd_ps(s, *hive); }));
  auto model = std::make_shared<std::string>();
  auto* stop = app.add_subcommand("stop", "unload a model");
  stop->add_option("model", *model, "the model (as shown by rbee ps) or worker id")->required();
  stop->add_option("--hive", *hive, "only on this hive (default: wherever it is loaded)");
  add_queen_flag(stop, f);
  runs.emplace_back(stop, with_client_settings([model, hive](const config::settings& s) { return cmd_stop(s, *model, *hive); }));
}});

} // namespace

} // namespace rbee::cli
