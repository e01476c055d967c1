// The OpenAI-compatible API: POST /v1/chat/completions, POST /v1/completions
// (streaming and not) and GET /v1/models. A request becomes an `infer` job; its
// token events become OpenAI chunks. Bodies are translated into the infer
// operation's JSON and validated by the same code as POST /v1/jobs.
#include "messages/json.hpp"
#include "json/parse.hpp"
#include "json/writer.hpp"
#include "net/ask.hpp"
#include "net/http_error.hpp"
#include "net/openai_codec.hpp"
#include "net/session.hpp"

#include <rapidjson/document.h>

#include <chrono>

namespace rbee::net {

namespace {

using session_ptr = std::shared_ptr<session>;
using doc = rapidjson::Document;
using value = rapidjson::Value;

void fail(const session_ptr& s, errc code, std::string_view message, std::string_view param = {}) {
  s->reply(status_for(code), openai_error(code, message, param));
}

int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

} // namespace

void openai_chat(const session_ptr& s, bool chat) {
  auto t = translate(s->req().body(), chat);
  if (t.code != errc::none) return fail(s, t.code, t.message, t.param);
  auto op = json::read_operation(t.op_json);
  if (!op) return fail(s, code_of(op.error()), message_of(op.error()));
  if (t.stream && !s->become_stream()) return; // before a job is submitted for it
  auto timeout = std::chrono::milliseconds(s->ctx().cfg.request_timeout_ms);
  ask<job_accepted>(
    *s->ctx().be.sys, s->ctx().be.queen, timeout,
    [s, t, chat](caf::expected<job_accepted> r) {
      s->post([s, t, chat, r = std::move(r)]() mutable {
        if (!r) return fail(s, code_of(r.error()), message_of(r.error()));
        auto st = std::make_shared<stream_state>();
        st->id = std::string(chat ? "chatcmpl-" : "cmpl-") + r->job_id;
        st->model = t.model;
        st->created = now_s();
        st->chat = chat;
        st->include_usage = t.include_usage;
        st->split_reasoning = t.split_reasoning;
        std::string job = r->job_id;
        if (t.stream) {
          auto* sys = s->ctx().be.sys;
          auto queen = s->ctx().be.queen;
          s->start_stream(
            job,
            [st](const bridge_event& e) -> std::optional<session::stream_out> {
              auto p = transform(*st, e);
              if (!p) return std::nullopt;
              return session::stream_out{std::move(p->text), p->last};
            },
            [sys, queen, job] { // the client went away: stop generating
              ask<job_info>(*sys, queen, std::chrono::seconds(5), [](caf::expected<job_info>) {}, cancel_atom::value, job);
            });
          return;
        }
        s->await_end(job, [s, st](const job_info& j) {
          if (j.state == job_state::completed)
            if (const auto* r = caf::get_if<infer_result>(&j.result)) return s->reply(200, full_response(*st, *r));
          if (j.state == job_state::cancelled) return fail(s, errc::cancelled, "the request was cancelled");
          fail(s, j.error_code == errc::none ? errc::internal : j.error_code,
               j.error_message.empty() ? std::string("generation failed") : j.error_message);
        });
      });
    },
    submit_atom::value, std::move(*op));
}

void openai_models(const session_ptr& s) {
  auto* sys = s->ctx().be.sys;
  auto queen = s->ctx().be.queen;
  auto timeout = std::chrono::milliseconds(s->ctx().cfg.request_timeout_ms);
  ask<std::vector<model_entry>>(
    *sys, queen, timeout,
    [s, sys, queen, timeout](caf::expected<std::vector<model_entry>> models) {
      ask<std::vector<worker_info>>(
        *sys, queen, timeout,
        [s, models](caf::expected<std::vector<worker_info>> workers) {
          rapidjson::StringBuffer buf;
          rbee::json::writer w(buf);
          w.StartObject();
          w.Key("object");
          w.String("list");
          w.Key("data");
          w.StartArray();
          std::vector<std::string> listed_paths;
          auto entry = [&](const std::string& id, const std::string& path, uint64_t size, int64_t created, bool loaded,
                           const model_entry* info) {
            w.StartObject();
            w.Key("id");
            w.String(id.c_str());
            w.Key("object");
            w.String("model");
            w.Key("created");
            w.Int64(created);
            w.Key("owned_by");
            w.String("rbee");
            w.Key("path");
            w.String(path.c_str());
            w.Key("size");
            w.Uint64(size);
            w.Key("loaded");
            w.Bool(loaded);
            if (info) {
              w.Key("arch");
              w.String(info->arch.c_str());
              w.Key("parameters");
              w.Uint64(info->parameters);
              w.Key("quantization");
              w.String(info->quantization.c_str());
              w.Key("context_length");
              w.Int64(info->context_length);
              w.Key("hive_id");
              w.String(info->hive_id.c_str());
            }
            w.EndObject();
          };
          auto loaded = [&](const std::string& path) {
            if (workers)
              for (auto& x : *workers)
                if (x.model_path == path) return true;
            return false;
          };
          if (models)
            for (auto& m : *models) {
              entry(m.name, m.path, m.size, m.modified_ms / 1000, loaded(m.path), &m);
              listed_paths.push_back(m.path);
            }
          if (workers) // loaded from a path outside the store
            for (auto& x : *workers)
              if (std::find(listed_paths.begin(), listed_paths.end(), x.model_path) == listed_paths.end()) {
                entry(x.model, x.model_path, x.memory_bytes, x.loaded_ms / 1000, true, nullptr);
                listed_paths.push_back(x.model_path);
              }
          w.EndArray();
          w.EndObject();
          std::string body = buf.GetString();
          s->post([s, body] { s->reply(200, body); });
        },
        workers_atom::value);
    },
    models_atom::value);
}

} // namespace rbee::net
