// The HTTP API routes: /health, /v1/jobs..., /v1/hives..., /v1/capabilities, /v1/events.
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

void dispatch(const session_ptr& s) {
  const auto& req = s->req();
  auto parts = split_path(std::string_view(req.target().data(), req.target().size()));
  auto method = req.method();
  auto& be = s->ctx().be;
  bool get = method == http::verb::get, post = method == http::verb::post,
       del = method == http::verb::delete_;
  auto not_allowed = [&] { s->reply_error(errc::method_not_allowed, "method not allowed on this path"); };
  auto bad_id = [&](std::string_view what) {
    s->reply_error(errc::bad_request, std::string(what) + " id must be 1-64 characters of [A-Za-z0-9._-]");
  };

  if (parts.size() == 1 && parts[0] == "health") {
    if (!get) return not_allowed();
    return s->reply(200, "{\"status\":\"ok\",\"version\":\"" + be.version + "\"}");
  }
  if (be.extra) {
    std::vector<std::string> path(parts.begin(), parts.end());
    std::string_view target(req.target().data(), req.target().size());
    auto q = target.find('?');
    std::string query(q == std::string_view::npos ? std::string_view{} : target.substr(q + 1));
    if (auto r = be.extra(path, query)) {
      if (!get) return not_allowed();
      if (r->later) return answer_later(s, std::move(r->later));
      if (r->error != errc::none) return s->reply_error(r->error, r->body);
      if (!r->file.empty()) return s->reply_file(r->file, r->content_type.c_str());
      return s->reply(200, std::move(r->body), r->content_type.c_str());
    }
  }
  if (parts.size() == 2 && parts[0] == "v1" && parts[1] == "identity") { // identity.hpp
    std::string_view target(req.target().data(), req.target().size());
    auto q = target.find("?nonce=");
    std::string_view nonce = q == std::string_view::npos ? std::string_view{} : target.substr(q + 7);
    if (!get) return not_allowed();
    if (!s->ctx().identity) return s->reply_error(errc::not_found, "this server has no identity file");
    if (!valid_nonce(nonce)) return s->reply_error(errc::bad_request, "nonce: 32-128 hex digits");
    return s->reply(200, "{\"proof\":\"" + identity_proof(*s->ctx().identity, nonce) + "\"}");
  }
  if (parts.size() == 1 && parts[0] == "metrics" && be.queen) {
    if (!get) return not_allowed();
    return metrics_route(s);
  }
  if (parts.empty() || parts[0] != "v1" || !be.queen) return s->reply_error(errc::not_found, "no such route");
  parts.erase(parts.begin());

  if (parts.size() == 1 && parts[0] == "jobs") {
    if (post) return submit(s);
    if (!get) return not_allowed();
    return answer<std::vector<job_info>>(
      s, be.queen, [](const auto& x) { return json::write(x); }, jobs_atom::value);
  }
  if (parts.size() >= 2 && parts[0] == "jobs") {
    std::string id(parts[1]);
    if (!json::valid_id(id)) return bad_id("job");
    if (parts.size() == 3 && parts[2] == "stream") {
      if (!get) return not_allowed();
      return stream(s, id);
    }
    if (parts.size() != 2) return s->reply_error(errc::not_found, "no such route");
    if (get)
      return answer<job_info>(s, be.queen, [](const auto& x) { return json::write(x); },
                              job_atom::value, id);
    if (del)
      return answer<job_info>(s, be.queen, [](const auto& x) { return json::write(x); },
                              cancel_atom::value, id);
    return not_allowed();
  }
  if (parts.size() == 1 && parts[0] == "hives") {
    if (!get) return not_allowed();
    return answer<std::vector<hive_info>>(
      s, be.queen, [](const auto& x) { return json::write(x); }, hives_atom::value);
  }
  if (parts.size() == 2 && parts[0] == "hives") {
    if (!get) return not_allowed();
    std::string id(parts[1]);
    if (!json::valid_id(id)) return bad_id("hive");
    return answer<hive_info>(s, be.queen, [](const auto& x) { return json::write(x); },
                             hive_atom::value, id);
  }
  if (parts.size() == 1 && parts[0] == "capabilities") {
    if (!get) return not_allowed();
    return answer<hive_info>(s, be.queen, [](const hive_info& x) { return json::write(x.caps); },
                             hive_atom::value, std::string(local_hive_id));
  }
  if (parts.size() == 2 && parts[0] == "chat" && parts[1] == "completions") {
    if (!post) return not_allowed();
    return openai_chat(s, true);
  }
  if (parts.size() == 1 && parts[0] == "completions") {
    if (!post) return not_allowed();
    return openai_chat(s, false);
  }
  if (parts.size() == 1 && parts[0] == "models") {
    if (!get) return not_allowed();
    return openai_models(s);
  }
  if (parts.size() == 1 && parts[0] == "workers") {
    if (!get) return not_allowed();
    return answer<std::vector<worker_info>>(
      s, be.queen, [](const auto& x) { return json::write(x); }, workers_atom::value);
  }
  if (parts.size() == 1 && parts[0] == "events") {
    if (!get) return not_allowed();
    return stream(s, "");
  }
  s->reply_error(errc::not_found, "no such route");
}

} // namespace rbee::net
