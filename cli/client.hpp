#pragma once
// The keeper's connection to the queen's HTTP API.

#include "config/settings.hpp"
#include "net/http_client.hpp"

#include <rapidjson/document.h>

#include <signal.h>

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace rbee::cli {

struct client {
  net::url u;
  net::headers auth;   ///< the API token, once the server proved it is the user's own
  std::string base;
  std::string token;   ///< the API token, kept back until then
};

/// Adds the token to `auth` when the server may have it: a server on loopback must
/// prove it is this user's own rbee first (net/identity.hpp); one elsewhere was named
/// by the user. False, having said why, when a local server fails the proof. A server
/// that does not answer at all leaves the token pending (connect_or_start retries).
bool authorize(client& c);

/// The queen named by queen_url (with the API token); prints the problem and
/// returns nullopt when the URL is unusable.
std::optional<client> connect(const config::settings& s);

/// Text from a server (build output, error messages, a model's tokens) made safe to
/// print on a terminal: escape sequences (CSI, OSC, ...) and other control characters
/// (C0 but tab and newline, DEL, C1 in UTF-8) removed, so that no output can retitle,
/// clear or recolour the user's terminal, move its cursor, or hide lines.
std::string terminal_safe(std::string_view s);

/// Prints why a call failed (no queen, or the API's error message); returns 1.
int report(const client& c, const net::http_result& r);

/// GET `path`, a JSON object whose `key` is an array (/v1/jobs: "jobs"). With --json
/// it is printed as is. Returns the exit code when the command is done (printed, or
/// failed and said why), nullopt when `d` holds the parsed answer for a table.
std::optional<int> get_list(const client& c, const std::string& path, const char* key, rapidjson::Document& d);

/// While alive: SIGINT/SIGTERM are taken by a thread that calls `on_first` once
/// (cancel the job) and leaves the process with 130 on the second.
class interrupt_guard {
public:
  explicit interrupt_guard(std::function<void()> on_first);
  ~interrupt_guard();
  interrupt_guard(const interrupt_guard&) = delete;
  interrupt_guard& operator=(const interrupt_guard&) = delete;
  bool interrupted() const { return interrupted_; }

private:
  sigset_t old_;
  std::atomic<bool> stop_{false}, interrupted_{false};
  std::thread thread_;
};

struct follow_options {
  bool json = false;                ///< every event as a JSON line on stdout
  bool quiet = false;               ///< only what the user must see: work done, errors (rbee run)
  bool narration_to_stdout = false; ///< `rbee job submit`: the stream is the output
  std::function<void(const std::string&)> on_result; ///< the result (compact JSON); default: printed pretty
  std::function<void(const std::string& code, const std::string& message)> on_error; ///< default: printed
  std::string* job_id = nullptr;    ///< set to the job's id once submitted
};

/// Submits `op_json`, follows its stream until it ends (Ctrl-C cancels the job).
/// Returns ok, failure, or cancelled.
int follow_job(const client& c, const std::string& op_json, const follow_options& o);

/// This program's own path (/proc/self/exe), for what it starts or registers.
std::string self_exe();

/// The queen of `s`; when none answers and queen_url is on this machine,
/// starts `rbee serve` in the background (logging to <state_dir>/serve.log)
/// and waits for its /health. nullopt (the problem printed) when there is none.
std::optional<client> connect_or_start(const config::settings& s);

} // namespace rbee::cli
