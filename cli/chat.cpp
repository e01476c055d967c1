// `rbee run MODEL [PROMPT]`: everything the model needs as one auto_run job,
// then one answer, or a chat with /commands that keeps the conversation within
// the model's context (the oldest turns go, the system prompt stays).
#include "cli/app.hpp"
#include "cli/chat.hpp"
#include "cli/client.hpp"
#include "json/parse.hpp"
#include "json/writer.hpp"
#include "cli/commands.hpp"

#include <CLI/CLI.hpp>
#include <rapidjson/document.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

namespace rbee::cli {

namespace {

std::atomic<bool> interrupted{false};

void on_sigint(int) {
  interrupted = true;
}

} // namespace

std::string model_ref(const std::string& m) {
  std::error_code ec;
  if (m.find('/') != std::string::npos && std::filesystem::is_regular_file(m, ec))
    return std::filesystem::absolute(m, ec).string();
  if (m.size() > 5 && m.substr(m.size() - 5) == ".gguf" && std::filesystem::is_regular_file(m, ec))
    return std::filesystem::absolute(m, ec).string();
  return m;
}

namespace {

std::string chat_body(const std::string& model, const std::vector<message>& history, const sampling& sp) {
  rapidjson::StringBuffer buf;
  rbee::json::writer w(buf);
  w.StartObject();
  w.Key("model");
  w.String(model.c_str());
  if (sp.max_tokens > 0) {
    w.Key("max_tokens");
    w.Int(sp.max_tokens);
  }
  if (sp.temperature) {
    w.Key("temperature");
    w.Double(*sp.temperature);
  }
  if (sp.top_p) {
    w.Key("top_p");
    w.Double(*sp.top_p);
  }
  if (sp.seed) {
    w.Key("seed");
    w.Int64(*sp.seed);
  }
  if (sp.think) {
    w.Key("think");
    w.Bool(true);
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

struct reply {
  bool ok = false;
  std::string text, finish, error, code;
  bool interrupted = false;
};

/// Streams one answer to stdout. A context overflow is returned (code
/// "context_overflow") for the chat to shorten the conversation, not printed.
reply answer(const client& c, const std::string& model, const std::vector<message>& history, const sampling& sp) {
  reply out;
  interrupted = false;
  bool printed = false;
  auto r = net::sse_request(c.u, "POST", "/v1/chat/completions", chat_body(model, history, sp), c.auth,
                            [&](const net::sse_event& e) {
                              if (interrupted) return false; // Ctrl-C: hang up; the server cancels
                              if (e.data == "[DONE]") return false;
                              rapidjson::Document d;
                              rbee::json::parse(d, e.data);
                              if (d.HasParseError() || !d.IsObject()) return true;
                              if (d.HasMember("error") && d["error"].IsObject()) {
                                auto& err = d["error"];
                                if (err.HasMember("message") && err["message"].IsString()) out.error = err["message"].GetString();
                                if (err.HasMember("code") && err["code"].IsString()) out.code = err["code"].GetString();
                                return false;
                              }
                              if (d.HasMember("choices") && d["choices"].IsArray() && !d["choices"].Empty()) {
                                auto& ch = d["choices"][0];
                                if (ch.IsObject() && ch.HasMember("finish_reason") && ch["finish_reason"].IsString())
                                  out.finish = ch["finish_reason"].GetString();
                                // The reasoning of a thinking model: faint on a terminal, plain in a pipe; not
                                // part of the answer the conversation keeps.
                                if (ch.IsObject() && ch.HasMember("delta") && ch["delta"].IsObject() &&
                                    ch["delta"].HasMember("reasoning_content") && ch["delta"]["reasoning_content"].IsString()) {
                                  std::string piece = terminal_safe(ch["delta"]["reasoning_content"].GetString());
                                  bool faint = isatty(1);
                                  if (faint) std::fputs("\x1b[2m", stdout);
                                  std::fwrite(piece.data(), 1, piece.size(), stdout);
                                  if (faint) std::fputs("\x1b[0m", stdout);
                                  std::fflush(stdout);
                                  printed = true;
                                }
                                if (ch.IsObject() && ch.HasMember("delta") && ch["delta"].IsObject() && ch["delta"].HasMember("content") &&
                                    ch["delta"]["content"].IsString()) {
                                  std::string piece = ch["delta"]["content"].GetString();
                                  out.text += piece;
                                  piece = terminal_safe(piece); // a model can emit escape sequences too
                                  std::fwrite(piece.data(), 1, piece.size(), stdout);
                                  std::fflush(stdout);
                                  printed = true;
                                }
                              }
                              return true;
                            },
                            std::chrono::minutes(10));
  out.interrupted = interrupted;
  if (r.status != 200) {
    if (r.body.find("\"context_overflow\"") != std::string::npos) {
      out.code = "context_overflow";
      return out;
    }
    report(c, r);
    return out;
  }
  if (printed || out.interrupted) std::printf("\n");
  if (out.code == "context_overflow") return out;
  if (!out.error.empty()) {
    std::cerr << "rbee: " << terminal_safe(out.error) << "\n";
    return out;
  }
  out.ok = true;
  return out;
}

} // namespace

int cmd_run(const config::settings& s, const std::string& model, const std::string& prompt, bool has_prompt,
            sampling sp, const std::string& hive, const std::string& worker) {
  auto c = connect_or_start(s);
  if (!c) return failure;
  std::string ref = model_ref(model);
  // Everything the model needs (download, worker build and install, load) as one
  // auto_run job: quiet when there is nothing to do, progress when there is.
  {
    follow_options o;
    o.quiet = true;
    o.on_result = [](const std::string&) {};
    if (int rc = follow_job(*c, op_json("auto_run", {{"model", ref}, {"hive_id", hive}, {"worker", worker}}), o); rc != ok)
      return rc;
  }
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigaction(SIGINT, &sa, nullptr); // no SA_RESTART: a read at the prompt is interrupted
  std::vector<message> history;
  if (has_prompt) {
    history.push_back({"user", prompt});
    auto r = answer(*c, ref, history, sp);
    if (r.interrupted) {
      std::fprintf(stderr, "rbee: cancelled\n");
      return cancelled;
    }
    if (r.code == "context_overflow") {
      std::cerr << "rbee: " << terminal_safe(r.error) << "\n";
      return failure;
    }
    if (r.ok && r.finish == "length" && sp.max_tokens == 0)
      std::fprintf(stderr, "rbee: the answer stopped at the end of the model's context\n");
    return r.ok ? ok : failure;
  }
  bool tty = isatty(0);
  if (tty) std::fprintf(stderr, "chatting with %s — /help for commands, Ctrl-C stops an answer, Ctrl-D or /bye quits\n", model.c_str());
  bool said_dropped = false;
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
    if (line[0] == '/') {
      if (!chat_command(line, history, sp)) return ok;
      continue;
    }
    history.push_back({"user", line});
    auto r = answer(*c, ref, history, sp);
    // Longer than the context: the oldest turns go (the system prompt stays), said once.
    while (r.code == "context_overflow" && drop_oldest_turn(history)) {
      if (!said_dropped) std::fprintf(stderr, "(the conversation outgrew the model's context: dropping the oldest turns)\n");
      said_dropped = true;
      r = answer(*c, ref, history, sp);
    }
    if (r.code == "context_overflow") std::cerr << "rbee: " << terminal_safe(r.error) << "\n";
    if (!r.ok) {
      history.pop_back();
      if (!tty && !r.interrupted) return failure;
      continue;
    }
    history.push_back({"assistant", r.text});
  }
}

namespace {

struct run_flags {
  std::string model, prompt, hive, worker;
  sampling sp;
};

const bool registered_run = register_command({100, [](CLI::App& app, common_flags& f, command_runs& runs) {
  auto a = std::make_shared<run_flags>();
  auto* run = app.add_subcommand("run", "chat with a model (or answer one PROMPT and exit)");
  run->add_option("model", a->model, "a model in the store (org/repo[:QUANT]) or a GGUF file")->required();
  auto* prompt = run->add_option("prompt", a->prompt, "answer this and exit");
  run->add_option("-n,--max-tokens", a->sp.max_tokens, "at most this many tokens per answer (default: until the model stops)")
    ->check(CLI::Range(1, 1 << 20));
  run->add_option("--temperature", a->sp.temperature, "sampling temperature (0: greedy; default: the server's)")
    ->check(CLI::Range(0.0, 10.0));
  run->add_option("--top-p", a->sp.top_p, "nucleus sampling (default: the server's)")->check(CLI::Range(0.0, 1.0));
  run->add_option("--seed", a->sp.seed, "a fixed seed (answers repeat)");
  run->add_flag("--think", a->sp.think, "let a thinking model (Qwen3, gpt-oss) reason first; the reasoning is shown faint");
  run->add_option("--hive", a->hive, "run it on this hive (default: the embedded one, else the queen places it)");
  run->add_option("--worker", a->worker, "cpu, cuda, metal or a catalog id (default: the best this hive runs; "
                                         "on a CPU the engine built into rbee unless a CPU worker is installed)");
  add_queen_flag(run, f);
  runs.emplace_back(run, with_client_settings([a, prompt](const config::settings& s) {
    return cmd_run(s, a->model, a->prompt, prompt->count() > 0, a->sp, a->hive, a->worker);
  }));
}});


} // namespace

} // namespace rbee::cli
