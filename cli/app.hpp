#pragma once
// The `rbee` command line: shared pieces of the subcommands.

#include "config/settings.hpp"

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>

namespace rbee::cli {

inline constexpr const char* version = "0.1.0";

/// Exit codes: 0 ok, 1 failure, 2 usage or configuration error (or a refused
/// link), 3 job cancelled (Ctrl-C), 130 Ctrl-C twice.
enum exit_code : int { ok = 0, failure = 1, usage = 2, cancelled = 3 };

/// --json: machine-readable output (set by main before a command runs).
inline bool json_output = false;

/// Flags shared by every subcommand, and the overrides a subcommand sets.
struct common_flags {
  std::string config_path;
  std::optional<std::string> log_level;
  std::optional<std::string> data_dir;
  std::optional<int> port;
  std::optional<int> cluster_port;
  std::optional<std::string> bind;
  std::optional<std::string> queen;   ///< keeper: queen URL; hive: queen HOST:PORT
  std::optional<std::string> hive_id;
  bool no_sandbox = false;             ///< --no-sandbox: install_sandbox=0
  bool allow_unsigned_catalog = false; ///< --allow-unsigned-catalog
};

/// Loads the settings (file, environment, then flags); prints the problem and
/// returns nullopt on a configuration error.
std::optional<config::settings> load_settings(const common_flags& f, const char* mode);

// -- daemons (daemons.cpp) --
int run_serve(config::settings s);
int run_queen(config::settings s);
int run_hive(config::settings s);
int run_catalog(config::settings s, const std::string& dir);
/// `rbee catalog keygen` / `rbee catalog sign` (catalog_cmd.cpp).
int cmd_catalog_keygen(const std::string& out);
int cmd_catalog_sign(const std::string& dir, const std::string& key);

// -- keeper (keeper.cpp) --
int cmd_status(const config::settings& s);
int cmd_jobs(const config::settings& s);
/// Submits, follows the stream, prints the result (pretty JSON, or `print_result` given the
/// result as compact JSON).
int cmd_job_submit(const config::settings& s, const std::string& json,
                   const std::function<void(const std::string&)>& print_result = {});
int cmd_job_get(const config::settings& s, const std::string& id);
int cmd_job_cancel(const config::settings& s, const std::string& id);
/// Sampling settings of `rbee run` and its chat (/set); unset: the server's.
struct sampling {
  int max_tokens = 0; ///< 0: until the model stops
  std::optional<double> temperature, top_p;
  std::optional<int64_t> seed;
  bool think = false; ///< a thinking model reasons first; its reasoning is shown faint (on a terminal)
};
int cmd_run(const config::settings& s, const std::string& model, const std::string& prompt, bool has_prompt,
            sampling sp, const std::string& hive = "", const std::string& worker = "");
/// A model argument: an existing file becomes an absolute path (the server
/// accepts paths from loopback clients), anything else is a store name.
std::string model_ref(const std::string& m);
int cmd_ps(const config::settings& s, const std::string& hive = "");
/// An operation's JSON for POST /v1/jobs: its tag and the fields that are not empty.
std::string op_json(const char* op, std::initializer_list<std::pair<const char*, std::string>> fields);
/// Where hives reach the cluster port: cluster_advertise, else the bind address
/// (the host name when bound to all), else "" (loopback: no other machine can).
std::string cluster_address(const config::settings& s, uint16_t port);
/// Submits a worker operation (install, remove, lists) and follows its stream.
int cmd_worker_op(const config::settings& s, const std::string& op, const std::string& hive, const std::string& worker,
                  bool without_gpu = false);
int cmd_pull(const config::settings& s, const std::string& model, const std::string& hive = "");
int cmd_ls(const config::settings& s, const std::string& hive = "");
int cmd_rm(const config::settings& s, const std::string& model, std::string hive = "");
int cmd_stop(const config::settings& s, const std::string& model, const std::string& hive = "");

// -- marketplace site (marketplace_cmd.cpp) --
struct marketplace_args {
  std::string out;
  std::string models;                           ///< org/repo,org/repo (else the top N)
  int top = 20;
  std::string site = "https://rbee.dev";        ///< the site's public URL (canonical links, sitemap)
  std::string rbee_url = "http://127.0.0.1:8500"; ///< where the button looks for rbee
};
int cmd_marketplace_build(const config::settings& s, const marketplace_args& a);

// -- links (links.cpp) --
/// `rbee open URL`: an rbee:// link submitted as its job.
int cmd_open(const config::settings& s, const std::string& url, bool json);
/// `rbee protocol register|unregister`: the XDG handler of rbee:// links.
int cmd_protocol(bool enable);

// -- completion (completion.cpp) --
}
namespace CLI {
class App;
}
namespace rbee::cli {
/// Prints the bash (or zsh) completion script of `app`.
int cmd_completion(const CLI::App& app, const std::string& shell);

// -- signals (signals.cpp) --
/// Blocks SIGINT/SIGTERM in this and every later thread; call before starting any.
void block_stop_signals();
/// Waits for SIGINT or SIGTERM (blocked before) or for `done` to return true,
/// checking it every 50 ms. Returns true when a signal arrived.
bool wait_for_stop(const std::function<bool()>& done = {});
/// A shutdown bounded in time: once the daemon has begun stopping, the process
/// exits `seconds` later whatever is still running (an actor CAF keeps alive, a
/// transfer), saying so on stderr; a second SIGINT/SIGTERM exits at once.
/// Everything rbee writes is atomic (temp file + rename), so nothing is lost.
void exit_after(int seconds);
/// Raises the soft open-files limit to the hard limit (many SSE clients).
void raise_fd_limit();

// -- the background server (server_cmd.cpp) --
/// Records the `rbee serve` autostart started: pid, port, log, the settings it got.
void record_background_server(const config::settings& s, int pid, const std::string& port, const std::string& log);
/// Says on stderr when the background server (on `port`) runs with settings other than `s`.
void warn_if_settings_differ(const config::settings& s, const std::string& port);

} // namespace rbee::cli
