#pragma once
// Real child processes for end-to-end tests: start `rbee ...`, read its stdout
// lines with a deadline, signal it, wait for it with a deadline.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace rbee::test {

/// The rbee binary under test ($RBEE_BIN).
std::string rbee_bin();

class process {
public:
  /// Starts `argv` with stdout piped to us; stderr goes to a log file
  /// (`stderr_text()` reads it). `env` entries (K=V) are added to ours.
  /// `input`, when given, is the child's whole standard input (else /dev/null).
  explicit process(std::vector<std::string> argv, std::vector<std::string> env = {},
                   const std::string* input = nullptr);
  ~process(); ///< kills (SIGKILL) and reaps a child that is still running

  process(const process&) = delete;
  process& operator=(const process&) = delete;

  pid_t pid() const { return pid_; }

  /// The next stdout line, or nullopt if none arrives in time (or EOF).
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);

  void signal(int sig);

  /// Waits for the exit; the exit status (128+signal when killed), or nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);

  std::string stderr_text() const;

private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string buf_;
  std::string err_path_;
  std::optional<int> status_;
};

/// Runs a command to completion; returns exit status and stdout (stderr kept apart).
struct run_result {
  int status = -1;
  std::string out;
  std::string err;
};
run_result run(std::vector<std::string> argv, std::vector<std::string> env = {},
               std::chrono::milliseconds timeout = std::chrono::seconds(30), const std::string* input = nullptr);

/// The port of a `listening on http://HOST:PORT` line (0 if it is not one).
int port_of(const std::string& line);

/// A fresh temporary directory (removed by the OS later).
std::string temp_dir();

} // namespace rbee::test
