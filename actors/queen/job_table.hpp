#pragma once
// The queen's job table: the job state machine, testable without messaging.
// queued -> running -> completed | failed | cancelled; queued -> failed | cancelled.
// A job reaches exactly one terminal state; every later transition is refused.

#include "messages/job.hpp"

#include <deque>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace rbee {

class job_table {
public:
  explicit job_table(size_t max_finished = 1000);

  /// Creates a queued job with a fresh id.
  const job_info& create(std::string operation, std::string hive_id);

  const job_info* find(const std::string& id) const;

  bool start(const std::string& id);
  bool complete(const std::string& id, job_value result);
  bool fail(const std::string& id, errc code, std::string message);
  bool cancel(const std::string& id);

  /// All kept jobs, oldest first.
  std::vector<job_info> list() const;

  size_t active() const { return active_; }
  uint64_t total() const { return total_; }

private:
  bool finish(const std::string& id, job_state to, job_value result, errc code, std::string msg);
  std::string next_id();

  size_t max_finished_;
  std::unordered_map<std::string, job_info> jobs_;
  std::vector<std::string> order_; ///< creation order, for list()
  std::deque<std::string> finished_;
  size_t active_ = 0;
  uint64_t total_ = 0;
  std::mt19937_64 rng_;
};

} // namespace rbee
