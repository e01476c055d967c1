#pragma once
// Runs a program in its own process group and hands every output line to a
// callback as it is printed: the build sandbox's bash and the system ssh both
// run through here. Standard input is /dev/null, a descriptor, or given bytes;
// a timeout or a cancel flag kills the whole group.

#include "io/outcome.hpp"

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace rbee {

using line_callback = std::function<void(std::string_view line, bool is_stderr)>;

struct child_options {
  std::vector<std::string> env;   ///< the whole environment (K=V)
  std::string cwd = "/";
  int stdin_fd = -1;              ///< read from this (the caller keeps it open); else:
  std::string stdin_text;         ///< ... these bytes (empty: /dev/null)
  int pass_fd = -1;               ///< handed to the child as descriptor 9
  std::chrono::milliseconds timeout{0}; ///< 0: none
  size_t tail_lines = 30;
  size_t keep_stdout_bytes = 0;   ///< also keep this much of stdout whole (e.g. a CSR printed by ssh)
  /// Kill what is left of the group once the program exits (build leftovers);
  /// false for a program that leaves a daemon on purpose (ssh's ControlPersist master).
  bool kill_leftovers = true;
};

struct child_result {
  int exit_code = 0;             ///< 128+N when killed by signal N
  std::deque<std::string> tail;  ///< the last lines of output
  std::string stdout_text;       ///< up to keep_stdout_bytes of stdout
  bool stdout_truncated = false;
  bool cancelled = false;
  bool timed_out = false;
};

/// The descriptor number a child finds `pass_fd` under.
inline constexpr int child_passed_fd = 9;

/// Runs args[0] (an absolute path) with `args`. An error only when it cannot be started.
outcome<child_result> run_child(const std::vector<std::string>& args, const child_options& opts,
                                const line_callback& on_line, const std::atomic<bool>& cancel);

/// The absolute path of `exe` in the usual system directories, or "".
std::string find_system_program(const char* exe);

/// `s` quoted for a POSIX shell: one argument whatever it holds.
std::string shell_quote(std::string_view s);

/// `exe` itself when it names a path, else the first executable of that name on
/// $PATH (then the system directories), or "".
std::string find_program(const std::string& exe);

} // namespace rbee
