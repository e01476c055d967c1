// The HTTP API routes: /health, /v1/jobs..., /v1/hives..., /v1/capabilities, /v1/events.
#include "json/writer.hpp"
#include "messages/json.hpp"
#include "net/ask.hpp"
#include "net/identity.hpp"
#include "net/metrics.hpp"
#include "net/session.hpp"

#include <atomic>
#include <charconv>
#include <thread>

namespace rbee::net {

namespace {

using session_ptr = std::shared_ptr<session>;

std::vector<std::string_view> split_path(std::string_view target) {
  target = target.substr(0, target.find('?'));
  std::vector<std::string_view> parts;
  while (!target.empty()) {
    if (target.front() == '/') {
      target.remove_prefix(1);
      continue;
    }
    auto end = target.find('/');
    parts.push_back(target.substr(0, end));
    target = end == std::string_view::npos ? std::string_view{} : target.substr(end);
  }
  return parts;
}

std::chrono::milliseconds timeout(const session_ptr& s) {
  return std::chrono::milliseconds(s->ctx().cfg.request_timeout_ms);
}

/// Asks an actor; answers 200 with `to_json(result)` or the error.
template <class R, class Handle, class ToJson, class... Ts>
void answer(const session_ptr& s, const Handle& dest, ToJson to_json, Ts... xs) {
  ask<R>(
    *s->ctx().be.sys, dest, timeout(s),
    [s, to_json](caf::expected<R> r) {
      std::string body;
      caf::error err;
      if (r)
        body = to_json(*r);
      else
        err = std::move(r.error());
      s->post([s, body = std::move(body), err = std::move(err)]() mutable {
        if (err) return s->reply_error(code_of(err), message_of(err));
        s->reply(200, std::move(body));
      });
    },
    xs...);
}

void submit(const session_ptr& s) {
  auto op = json::read_operation(s->req().body());
  if (!op) return s->reply_error(code_of(op.error()), message_of(op.error()));
  ask<job_accepted>(
    *s->ctx().be.sys, s->ctx().be.queen, timeout(s),
    [s](caf::expected<job_accepted> r) {
      std::string body = r ? json::write(*r) : std::string{};
      caf::error err = r ? caf::error{} : r.error();
      s->post([s, body = std::move(body), err = std::move(err)] {
        if (err) return s->reply_error(code_of(err), message_of(err));
        s->reply(202, body);
      });
    },
    submit_atom::value, std::move(*op));
}

void stream(const session_ptr& s, std::string job_id) {
  auto& h = s->req();
  auto it = h.find("Last-Event-ID");
  bool resume = false;
  uint64_t last = 0;
  if (it != h.end()) {
    auto v = it->value();
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), last);
    if (v.empty() || ec != std::errc{} || end != v.data() + v.size())
      return s->reply_error(errc::bad_request, "Last-Event-ID must be a non-negative integer");
    resume = true;
  }
  s->start_sse(std::move(job_id), resume, last);
}

} // namespace

/// Runs a slow extra route on a thread of its own (at most 16 at a time: then 503)
/// and answers on the session's strand.
void answer_later(const session_ptr& s, std::function<static_reply()> work) {
  static std::atomic<int> running{0};
  if (running.fetch_add(1) >= 16) {
    running.fetch_sub(1);
    return s->reply_error(errc::unavailable, "too many requests to other servers at once; try again");
  }
  std::thread([s, work = std::move(work)] {
    static_reply r;
    try {
      r = work();
    } catch (const std::exception& e) {
      r = static_reply{errc::internal, e.what(), ""};
    }
    running.fetch_sub(1);
    s->post([s, r = std::move(r)] {
      if (r.error != errc::none) return s->reply_error(r.error, r.body);
      s->reply(200, r.body, r.content_type.c_str());
    });
  }).detach();
}

namespace {

/// The {id} of a path, already checked (json::valid_id).
struct route_args {
  std::string id;
};

using handler = void (*)(const session_ptr&, const route_args&);

/// One route: a method and a path pattern, where a `{job}` or `{hive}` segment
/// matches an id of that kind (400 naming it when the id is malformed).
struct route {
  http::verb method;
  std::string_view pattern;
  handler run;
  bool needs_queen = true; ///< only a queen (or embedded) server answers it
};

template <class T, class Atom>
void answer_all(const session_ptr& s, Atom atom) {
  answer<T>(s, s->ctx().be.queen, [](const auto& x) { return json::write(x); }, atom);
}

void health(const session_ptr& s, const route_args&) {
  rapidjson::StringBuffer buf;
  rbee::json::writer w(buf);
  w.StartObject();
  w.Key("status"), w.String("ok");
  w.Key("version"), w.String(s->ctx().be.version);
  w.EndObject();
  s->reply(200, buf.GetString());
}

void identity(const session_ptr& s, const route_args&) { // identity.hpp
  const auto& req = s->req();
  std::string_view target(req.target().data(), req.target().size());
  auto q = target.find("?nonce=");
  std::string_view nonce = q == std::string_view::npos ? std::string_view{} : target.substr(q + 7);
  if (!s->ctx().identity) return s->reply_error(errc::not_found, "this server has no identity file");
  if (!valid_nonce(nonce)) return s->reply_error(errc::bad_request, "nonce: 32-128 hex digits");
  s->reply(200, json::write_field("proof", identity_proof(*s->ctx().identity, nonce)));
}

void job_get(const session_ptr& s, const route_args& a) {
  answer<job_info>(s, s->ctx().be.queen, [](const auto& x) { return json::write(x); }, job_atom::value, a.id);
}

void job_cancel(const session_ptr& s, const route_args& a) {
  answer<job_info>(s, s->ctx().be.queen, [](const auto& x) { return json::write(x); }, cancel_atom::value, a.id);
}

void hive_get(const session_ptr& s, const route_args& a) {
  answer<hive_info>(s, s->ctx().be.queen, [](const auto& x) { return json::write(x); }, hive_atom::value, a.id);
}

void local_capabilities(const session_ptr& s, const route_args&) {
  answer<hive_info>(s, s->ctx().be.queen, [](const hive_info& x) { return json::write(x.caps); }, hive_atom::value,
                    std::string(local_hive_id));
}

using http::verb;
const route routes[] = {
  {verb::get, "/health", health, false},
  {verb::get, "/v1/identity", identity, false},
  {verb::get, "/metrics", [](const session_ptr& s, const route_args&) { metrics_route(s); }},
  {verb::post, "/v1/jobs", [](const session_ptr& s, const route_args&) { submit(s); }},
  {verb::get, "/v1/jobs", [](const session_ptr& s, const route_args&) { answer_all<std::vector<job_info>>(s, jobs_atom::value); }},
  {verb::get, "/v1/jobs/{job}", job_get},
  {verb::delete_, "/v1/jobs/{job}", job_cancel},
  {verb::get, "/v1/jobs/{job}/stream", [](const session_ptr& s, const route_args& a) { stream(s, a.id); }},
  {verb::get, "/v1/hives", [](const session_ptr& s, const route_args&) { answer_all<std::vector<hive_info>>(s, hives_atom::value); }},
  {verb::get, "/v1/hives/{hive}", hive_get},
  {verb::get, "/v1/capabilities", local_capabilities},
  {verb::post, "/v1/chat/completions", [](const session_ptr& s, const route_args&) { openai_chat(s, true); }},
  {verb::post, "/v1/completions", [](const session_ptr& s, const route_args&) { openai_chat(s, false); }},
  {verb::get, "/v1/models", [](const session_ptr& s, const route_args&) { openai_models(s); }},
  {verb::get, "/v1/workers", [](const session_ptr& s, const route_args&) { answer_all<std::vector<worker_info>>(s, workers_atom::value); }},
  {verb::get, "/v1/events", [](const session_ptr& s, const route_args&) { stream(s, ""); }},
};

enum class match_result { no, yes, bad_id };

/// Matches `parts` against `pattern`; an id segment goes to `args` (checked).
match_result match(std::string_view pattern, const std::vector<std::string_view>& parts, route_args& args,
                   std::string_view& id_kind) {
  auto want = split_path(pattern);
  if (want.size() != parts.size()) return match_result::no;
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i].size() > 2 && want[i].front() == '{' && want[i].back() == '}') {
      args.id = std::string(parts[i]);
      id_kind = want[i].substr(1, want[i].size() - 2);
      continue;
    }
    if (want[i] != parts[i]) return match_result::no;
  }
  return json::valid_id(args.id) || args.id.empty() ? match_result::yes : match_result::bad_id;
}

/// The server's extra routes (a hive's, the marketplace's, a catalog's): GET only.
bool dispatch_extra(const session_ptr& s, const std::vector<std::string_view>& parts) {
  auto& be = s->ctx().be;
  if (!be.extra) return false;
  const auto& req = s->req();
  std::vector<std::string> path(parts.begin(), parts.end());
  std::string_view target(req.target().data(), req.target().size());
  auto q = target.find('?');
  std::string query(q == std::string_view::npos ? std::string_view{} : target.substr(q + 1));
  auto r = be.extra(path, query);
  if (!r) return false;
  if (req.method() != http::verb::get) {
    s->reply_error(errc::method_not_allowed, "method not allowed on this path");
  } else if (r->later) {
    answer_later(s, std::move(r->later));
  } else if (r->error != errc::none) {
    s->reply_error(r->error, r->body);
  } else if (!r->file.empty()) {
    s->reply_file(r->file, r->content_type.c_str());
  } else {
    s->reply(200, std::move(r->body), r->content_type.c_str());
  }
  return true;
}

} // namespace

void dispatch(const session_ptr& s) {
  const auto& req = s->req();
  auto parts = split_path(std::string_view(req.target().data(), req.target().size()));
  bool has_queen = static_cast<bool>(s->ctx().be.queen);
  if (!(parts.size() == 1 && parts[0] == "health") && dispatch_extra(s, parts)) return;
  bool path_known = false;
  for (const auto& r : routes) {
    if (r.needs_queen && !has_queen) continue;
    route_args args;
    std::string_view id_kind;
    auto m = match(r.pattern, parts, args, id_kind);
    if (m == match_result::no) continue;
    if (m == match_result::bad_id)
      return s->reply_error(errc::bad_request, std::string(id_kind) + " id must be 1-64 characters of [A-Za-z0-9._-]");
    path_known = true;
    if (r.method == req.method()) return r.run(s, args);
  }
  if (path_known) return s->reply_error(errc::method_not_allowed, "method not allowed on this path");
  s->reply_error(errc::not_found, "no such route");
}

} // namespace rbee::net
