// The SSE half of a session: subscribe to the bridge, write the stream header,
// then one chunk per event; keep-alive comments; a slow or gone client is dropped.
#include "net/ask.hpp"
#include "net/session.hpp"
#include "net/sse_parser.hpp"

namespace rbee::net {

namespace {

/// The bridge's handle on one SSE connection; outlives it harmlessly.
class sse_sink final : public event_sink {
public:
  sse_sink(std::weak_ptr<session> s, session::frame_transform t) : s_(std::move(s)), transform_(std::move(t)) {}
  bool push(const bridge_event& e, bool last) override {
    auto p = s_.lock();
    if (!p || p->sse_closed) return false;
    auto frame = e.frame;
    if (transform_) {
      auto out = transform_(e);
      if (!out) return true;
      frame = std::make_shared<const std::string>(std::move(out->text));
      last = last || out->last;
    }
    p->post([p, f = std::move(frame), last] { p->sse_enqueue(f, last); });
    return true;
  }

private:
  std::weak_ptr<session> s_;
  session::frame_transform transform_;
};

/// Waits for the terminal frame of a job.
class end_sink final : public event_sink {
public:
  end_sink(std::weak_ptr<session> s, std::function<void(const job_info&)> f) : s_(std::move(s)), on_end_(std::move(f)) {}
  bool push(const bridge_event& e, bool last) override {
    auto p = s_.lock();
    if (!p) return false;
    if (!last) return true;
    // The terminal event always carries its job_info; without one, the job ended unseen.
    auto job = e.job;
    if (!job) {
      job_info unseen;
      unseen.state = job_state::failed;
      unseen.error_code = errc::internal;
      unseen.error_message = "the job ended unseen";
      job = std::make_shared<const job_info>(std::move(unseen));
    }
    p->post([p, f = on_end_, job] { f(*job); });
    return false;
  }

private:
  std::weak_ptr<session> s_;
  std::function<void(const job_info&)> on_end_;
};

} // namespace

void session::start_sse(std::string job_id, bool resume, uint64_t last_event_id) {
  if (!become_stream()) return;
  // A retry hint for EventSource clients, sent first.
  sse_queue_.emplace_back(std::make_shared<const std::string>("retry: 2000\n\n"), false);
  subscribe(std::move(job_id), resume, last_event_id, std::make_shared<sse_sink>(weak_from_this(), nullptr));
}

void session::start_stream(std::string job_id, frame_transform transform, std::function<void()> on_abort) {
  if (!become_stream()) {
    if (on_abort) on_abort(); // the job was submitted for this stream: nobody will read it
    return;
  }
  on_abort_ = std::move(on_abort);
  subscribe(std::move(job_id), false, 0, std::make_shared<sse_sink>(weak_from_this(), std::move(transform)));
}

void session::await_end(std::string job_id, std::function<void(const job_info&)> on_end) {
  subscription sub{std::move(job_id), false, 0, std::make_shared<end_sink>(weak_from_this(), std::move(on_end))};
  auto self = shared_from_this();
  ask<uint64_t>(*ctx_->be.sys, ctx_->be.bridge, std::chrono::milliseconds(ctx_->cfg.request_timeout_ms),
                [self](caf::expected<uint64_t> r) {
                  if (!r)
                    self->post([self, err = r.error()] { self->reply_error(code_of(err), message_of(err)); });
                },
                subscribe_atom::value, sub);
}

void session::subscribe(std::string job_id, bool resume, uint64_t last_event_id, event_sink_ptr sink) {
  subscription sub{std::move(job_id), resume, last_event_id, std::move(sink)};
  auto self = shared_from_this();
  ask<uint64_t>(
    *ctx_->be.sys, ctx_->be.bridge, std::chrono::milliseconds(ctx_->cfg.request_timeout_ms),
    [self](caf::expected<uint64_t> r) {
      self->post([self, err = r ? caf::error{} : r.error()] {
        if (err) {
          self->sse_queue_.clear();
          self->sse_closed = true; // the bridge must not push to this session any more
          return self->reply_error(code_of(err), message_of(err));
        }
        self->sse_begin();
      });
    },
    subscribe_atom::value, sub);
}

void session::sse_begin() {
  auto res = std::make_shared<http::response<http::empty_body>>(http::status::ok, req_.version());
  res->set(http::field::server, "rbee");
  res->set(http::field::content_type, "text/event-stream");
  res->set(http::field::cache_control, "no-cache");
  res->set("X-Accel-Buffering", "no");
  res->keep_alive(false);
  res->chunked(true);
  add_cors(res->base());
  auto sr = std::make_shared<http::response_serializer<http::empty_body>>(*res);
  stream_.expires_never();
  http::async_write_header(stream_, *sr, [self = shared_from_this(), res, sr](beast::error_code ec, size_t) {
    if (ec) return self->close();
    self->sse_started_ = true;
    self->keepalive_.emplace(self->stream_.get_executor());
    self->sse_keepalive();
    self->sse_watch_close();
    self->sse_write_next();
  });
}

void session::sse_enqueue(std::shared_ptr<const std::string> frame, bool last) {
  if (sse_closed || sse_last_queued_) return;
  sse_queued_bytes_ += frame->size();
  sse_queue_.emplace_back(std::move(frame), last);
  if (last) sse_last_queued_ = true;
  if (sse_queued_bytes_ > ctx_->cfg.sse_max_queued_bytes) return close(); // too slow: it may resume
  if (sse_started_) sse_write_next();
}

void session::sse_write_next() {
  if (sse_writing_ || sse_closed || sse_queue_.empty()) return;
  auto frame = sse_queue_.front().first; // (no structured binding: clang 14 cannot capture one)
  bool last = sse_queue_.front().second;
  sse_queue_.pop_front();
  sse_writing_ = true;
  asio::async_write(stream_, http::make_chunk(asio::buffer(*frame)),
                    [self = shared_from_this(), frame, last](beast::error_code ec, size_t) {
                      self->sse_writing_ = false;
                      self->sse_queued_bytes_ -= std::min(self->sse_queued_bytes_, frame->size());
                      if (ec) return self->close();
                      if (!last) return self->sse_write_next();
                      self->sse_ended_ = true;
                      self->sse_writing_ = true;
                      asio::async_write(self->stream_, http::make_chunk_last(),
                                        [self](beast::error_code, size_t) { self->close(); });
                    });
}

void session::sse_keepalive() {
  keepalive_->expires_after(std::chrono::milliseconds(ctx_->cfg.sse_keepalive_ms));
  keepalive_->async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || self->sse_closed) return;
    static const auto comment = std::make_shared<const std::string>(": keep-alive\n\n");
    self->sse_enqueue(comment, false);
    self->sse_keepalive();
  });
}

void session::sse_watch_close() {
  stream_.async_read_some(asio::buffer(probe_), [self = shared_from_this()](beast::error_code ec, size_t) {
    if (ec) return self->close(); // the client went away
    self->sse_watch_close();
  });
}

} // namespace rbee::net
