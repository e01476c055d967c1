#pragma once
// Runs a recipe's build()/package() shell code: bash in its own process
// group, inside bubblewrap: a read-only system; the build tree the only writable
// place; every home, /run (and so $XDG_RUNTIME_DIR), /tmp, /var/tmp, /dev/shm and
// rbee's own directories hidden under empty tmpfs; no network, own PID namespace;
// a seccomp filter that refuses UNIX sockets, io_uring, the keyring, bpf and
// ptrace (sandbox_filter.hpp). Every output line is handed to a callback as it is
// printed; cancel kills the whole group.

#include "io/child.hpp"
#include "io/outcome.hpp"

#include <atomic>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rbee {

struct sandbox_options {
  std::string tree;  ///< absolute; the working directory and the only writable place
  std::vector<std::pair<std::string, std::string>> env; ///< on top of PATH, HOME (= tree), LANG
  std::vector<std::string> hide; ///< directories replaced by an empty tmpfs (e.g. the config dir)
  bool sandbox = true; ///< false: --no-sandbox, bash runs directly (still in its own group)
  size_t tail_lines = 30;
};

struct script_result {
  int exit_code = 0;             ///< 128+N when killed by signal N
  std::deque<std::string> tail;  ///< the last lines of output
  bool cancelled = false;
};


/// Is bubblewrap here and able to make namespaces? `why` says what is missing.
bool sandbox_available(std::string* why = nullptr);

/// Runs `script` with `bash -e` as described above. An error only when the
/// process cannot be started (errc::platform_unsupported without a sandbox).
outcome<script_result> run_script(const std::string& script, const sandbox_options& opts, const line_callback& on_line,
                                        const std::atomic<bool>& cancel);

} // namespace rbee
