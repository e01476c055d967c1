// `rbee open URL` (rbee:// links from model pages) and `rbee protocol
// register|unregister` (the desktop's handler for them, per XDG).
#include "io/atomic_file.hpp"
#include "cli/app.hpp"
#include "cli/client.hpp"
#include "json/parse.hpp"
#include "messages/rbee_url.hpp"
#include "cli/commands.hpp"

#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rapidjson/document.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

extern char** environ;

namespace rbee::cli {

namespace {

namespace fs = std::filesystem;

std::string env_dir(const char* var, const char* fallback) {
  const char* v = std::getenv(var);
  if (v && *v == '/') return v;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "/") + fallback;
}

/// The program's path when it is on PATH, else "".
std::string on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string d; std::getline(dirs, d, ':');)
    if (!d.empty() && ::access((d + "/" + name).c_str(), X_OK) == 0) return d + "/" + name;
  return "";
}

/// Runs argv; `wait`: its exit status, else detached (own session, no output) and 0.
int spawn(std::vector<std::string> args, bool wait) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  if (!wait) {
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
  }
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  if (!wait) posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, args[0].c_str(), &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return -1;
  if (!wait) return 0;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/// xdg-open, when there is a display to open a browser on; "" otherwise.
std::string browser_opener() {
  const char* x = std::getenv("DISPLAY");
  const char* w = std::getenv("WAYLAND_DISPLAY");
  return (x && *x) || (w && *w) ? on_path("xdg-open") : "";
}

/// Opens `url` in the user's browser when there is one.
bool open_in_browser(const std::string& url) {
  std::string xdg = browser_opener();
  return !xdg.empty() && spawn({xdg, url}, false) == 0;
}

constexpr const char* mime = "x-scheme-handler/rbee";

} // namespace

int cmd_open(const config::settings& s, const std::string& url, bool json) {
  std::string why;
  auto link = parse_rbee_url(url, why);
  if (!link) {
    std::fprintf(stderr, "rbee: refusing the link: %s\n", why.c_str());
    return usage;
  }
  auto c = connect_or_start(s);
  if (!c) return failure;
  if (link->what == rbee_link::verb::dashboard) {
    std::string page = c->base + "/";
    if (!open_in_browser(page)) std::printf("the dashboard is at %s\n", page.c_str());
    return ok;
  }
  std::string job = rbee_link_job(*link);
  if (browser_opener().empty() || json) { // no browser: the progress in this terminal
    follow_options o;
    o.json = json;
    int rc = follow_job(*c, job, o);
    if (rc == ok && !json && link->what != rbee_link::verb::install)
      std::fprintf(stderr, "chat with it: rbee run %s\n", link->model.c_str());
    return rc;
  }
  auto r = net::http_call(c->u, "POST", "/v1/jobs", job, c->auth);
  if (r.status != 202) return report(*c, r);
  rapidjson::Document d;
  rbee::json::parse(d, r.body);
  std::string id = d.IsObject() && d.HasMember("job_id") && d["job_id"].IsString() ? d["job_id"].GetString() : "";
  std::string page = c->base + "/#/jobs/" + id;
  open_in_browser(page);
  std::printf("job %s: follow it at %s\n", id.c_str(), page.c_str());
  return ok;
}

/// `path` as one argument of a desktop entry's Exec key (Desktop Entry spec 1.5,
/// "The Exec key"): in double quotes, with `"`, `` ` ``, `$` and `\` backslash-escaped
/// and `%` doubled; then the backslashes escaped again, as in every string value.
/// nullopt for a path with control characters (a newline would start a new key).
std::optional<std::string> desktop_exec_arg(const std::string& path) {
  std::string quoted = "\"";
  for (char c : path) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return std::nullopt;
    if (c == '"' || c == '`' || c == '$' || c == '\\') quoted += '\\';
    if (c == '%') quoted += '%';
    quoted += c;
  }
  quoted += '"';
  std::string out;
  for (char c : quoted) out += c == '\\' ? std::string("\\\\") : std::string(1, c);
  return out;
}

int cmd_protocol(bool enable) {
  std::string apps = env_dir("XDG_DATA_HOME", "/.local/share") + "/applications";
  std::string desktop = apps + "/rbee.desktop";
  std::string mimeapps = env_dir("XDG_CONFIG_HOME", "/.config") + "/mimeapps.list";
  std::string xdg_mime = on_path("xdg-mime");
  if (enable) {
    std::string exe = self_exe();
    auto exec_arg = desktop_exec_arg(exe);
    if (!exec_arg) {
      std::fprintf(stderr, "rbee: this binary's path has control characters; move it before registering it\n");
      return failure;
    }
    std::error_code ec;
    fs::create_directories(apps, ec);
    std::string entry = "[Desktop Entry]\nType=Application\nName=rbee\nComment=Run large language models on this machine (rbee:// links)\n"
                        "Exec=" + *exec_arg + " open %u\nTerminal=false\nNoDisplay=true\nMimeType=" + mime + ";\n";
    if (auto w = write_file_atomic(desktop, entry, 0644); !w) {
      std::fprintf(stderr, "rbee: cannot write %s\n", desktop.c_str());
      return failure;
    }
    if (xdg_mime.empty() || spawn({xdg_mime, "default", "rbee.desktop", mime}, true) != 0) {
      std::fprintf(stderr, "rbee: wrote %s, but xdg-mime (xdg-utils) is %s: rbee:// links will not open rbee yet\n",
                   desktop.c_str(), xdg_mime.empty() ? "not installed" : "failing");
      return failure;
    }
    if (auto db = on_path("update-desktop-database"); !db.empty()) spawn({db, apps}, true);
    std::printf("rbee:// links now open with %s (%s)\n", exe.c_str(), desktop.c_str());
    return ok;
  }
  std::error_code ec;
  bool had = fs::remove(desktop, ec);
  // Its cache (mimeinfo.cache, made at register) would still name the removed entry.
  if (auto db = on_path("update-desktop-database"); had && !db.empty()) spawn({db, apps}, true);
  // xdg-mime cannot unset a default: drop our line from mimeapps.list.
  std::ifstream in(mimeapps);
  std::string out, line;
  bool changed = false;
  while (std::getline(in, line)) {
    if (line.rfind(std::string(mime) + "=", 0) == 0) {
      changed = true;
      continue;
    }
    out += line + "\n";
  }
  in.close();
  if (changed) write_file_atomic(mimeapps, out, 0644);
  std::printf(had || changed ? "rbee:// links are no longer handled by rbee\n" : "rbee was not registered for rbee:// links\n");
  return ok;
}

namespace {

const bool registered = register_command({190, [](CLI::App& app, common_flags& f, command_runs& runs) {
  auto url = std::make_shared<std::string>();
  auto* open = app.add_subcommand("open", "handle an rbee:// link (download, run, install, open the dashboard)");
  open->add_option("url", *url, "rbee://run/model/huggingface/ORG/REPO[:QUANT], rbee://install/worker/ID, ...")->required();
  add_queen_flag(open, f);
  add_json_flag(open);
  runs.emplace_back(open, with_client_settings([url](const config::settings& s) { return cmd_open(s, *url, json_output); }));
  auto* protocol = app.add_subcommand("protocol", "make this rbee the desktop's handler of rbee:// links");
  protocol->require_subcommand(1);
  auto* reg = protocol->add_subcommand("register", "install the desktop entry and set it as the rbee:// handler");
  auto* unreg = protocol->add_subcommand("unregister", "remove it");
  runs.emplace_back(reg, [](command_context&) { return cmd_protocol(true); });
  runs.emplace_back(unreg, [](command_context&) { return cmd_protocol(false); });
}});

} // namespace

} // namespace rbee::cli
