#pragma once
// One HTTP connection: reads requests with limits and deadlines, checks Host,
// Origin and token before the body, dispatches to the routes, writes answers;
// switches to SSE streaming for the stream routes. Private to net/.

#include "config/settings.hpp"
#include "messages/errc.hpp"
#include "net/conn_limits.hpp"
#include "net/server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace rbee::net {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;

using request = http::request<http::string_body>;

/// What every session shares: settings, backend, the connection counts.
struct shared_context {
  explicit shared_context(const config::settings& s)
    : cfg(s), limits({s.max_connections, s.max_connections_per_client, s.max_sse_streams, s.max_sse_streams_per_client}) {}
  config::settings cfg;
  backend be;
  std::vector<std::string> allowed_hosts; ///< lower-case, without port
  conn_limits limits;
  std::optional<std::string> identity; ///< this user's secret (identity.hpp); unset: no proofs
  /// Shared so that a session still held by an actor's pending answer after the
  /// server stopped can be destroyed safely.
  std::shared_ptr<asio::io_context> ioc;
};

class session : public std::enable_shared_from_this<session> {
public:
  /// A connection from `client` that ctx->limits admitted.
  session(asio::ip::tcp::socket socket, std::shared_ptr<shared_context> ctx, std::string client);
  ~session();

  void run();

  // -- used by the routes (always on the session's strand) --
  void reply(unsigned status, std::string body, const char* content_type = "application/json");
  void reply_error(errc code, std::string_view message);
  /// 200 with the file at `path` as the body, read from disk as it is sent.
  void reply_file(const std::string& path, const char* content_type);
  /// Counts this connection as an SSE stream (once); false, after answering 503,
  /// when the stream caps say no. start_sse and start_stream call it.
  bool become_stream();
  /// Subscribes to a job's events ("" = global feed) and streams them as SSE.
  void start_sse(std::string job_id, bool resume, uint64_t last_event_id);

  /// What a stream sends for one bridge frame, and whether it ends the stream.
  struct stream_out {
    std::string text;
    bool last = false;
  };
  /// Turns a bridge event (its frame and the typed message beside it) into output
  /// (nullopt: send nothing). Runs on the bridge's thread: keep it small.
  using frame_transform = std::function<std::optional<stream_out>(const bridge_event& e)>;
  /// Streams a job's events through `transform` as a chunked text/event-stream
  /// response; `on_abort` runs (once) if the client goes away before the end.
  void start_stream(std::string job_id, frame_transform transform, std::function<void()> on_abort);
  /// Waits for the job's terminal event and hands it (its job_info) to `on_end`
  /// on this session's strand.
  void await_end(std::string job_id, std::function<void(const job_info&)> on_end);
  /// Runs `f` on this session's strand.
  template <class F>
  void post(F&& f) {
    asio::post(stream_.get_executor(), std::forward<F>(f));
  }

  const request& req() const { return req_; }
  shared_context& ctx() { return *ctx_; }

  // -- SSE (strand) --
  void sse_enqueue(std::shared_ptr<const std::string> frame, bool last);
  std::atomic<bool> sse_closed{false};

private:
  void do_read();
  void on_header(beast::error_code ec, size_t);
  void on_body(beast::error_code ec, size_t);
  bool check_access(); ///< Host, Origin, token; replies itself when false
  void write(http::response<http::string_body> res);
  void close();
  void add_cors(http::response_header<>& h) const;

  void subscribe(std::string job_id, bool resume, uint64_t last_event_id, event_sink_ptr sink);
  void sse_begin();
  void sse_write_next();
  void sse_keepalive();
  void sse_watch_close();

  std::shared_ptr<shared_context> ctx_; ///< first: destroyed after the stream
  std::string client_; ///< the peer's address, for the per-client caps
  bool is_stream_ = false;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  request req_;
  std::string origin_; ///< the request's allowed Origin, for CORS headers
  bool keep_alive_ = false;
  bool writing_ = false;
  std::chrono::steady_clock::time_point started_; ///< when the request was read (slow ones are logged)

  // SSE state
  bool sse_started_ = false;
  bool sse_ended_ = false;               ///< the last chunk was written
  std::function<void()> on_abort_;
  bool sse_last_queued_ = false;
  std::deque<std::pair<std::shared_ptr<const std::string>, bool>> sse_queue_;
  size_t sse_queued_bytes_ = 0;
  bool sse_writing_ = false;
  std::optional<asio::steady_timer> keepalive_;
  char probe_[64];
};

/// Routes a complete request (routes.cpp).
void dispatch(const std::shared_ptr<session>& s);


/// The OpenAI-compatible routes (openai.cpp): /v1/chat/completions, /v1/completions, /v1/models.
void openai_chat(const std::shared_ptr<session>& s, bool chat);
void openai_models(const std::shared_ptr<session>& s);

} // namespace rbee::net
