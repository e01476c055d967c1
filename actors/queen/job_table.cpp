#include "actors/queen/job_table.hpp"

#include "messages/narration.hpp"

#include <algorithm>
#include <cstdio>

namespace rbee {

job_table::job_table(size_t max_finished)
  : max_finished_(std::max<size_t>(1, max_finished)), rng_(std::random_device{}()) {
}

std::string job_table::next_id() {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "job-%016llx", static_cast<unsigned long long>(rng_()));
  return buf;
}

const job_info& job_table::create(std::string operation, std::string hive_id) {
  std::string id = next_id();
  while (jobs_.count(id)) id = next_id();
  job_info j;
  j.job_id = id;
  j.operation = std::move(operation);
  j.hive_id = std::move(hive_id);
  j.state = job_state::queued;
  j.created_ms = now_ms();
  order_.push_back(id);
  ++active_;
  ++total_;
  return jobs_.emplace(id, std::move(j)).first->second;
}

const job_info* job_table::find(const std::string& id) const {
  auto i = jobs_.find(id);
  return i == jobs_.end() ? nullptr : &i->second;
}

bool job_table::start(const std::string& id) {
  auto i = jobs_.find(id);
  if (i == jobs_.end() || i->second.state != job_state::queued) return false;
  i->second.state = job_state::running;
  i->second.started_ms = now_ms();
  return true;
}

bool job_table::complete(const std::string& id, job_value result) {
  return finish(id, job_state::completed, std::move(result), errc::none, {});
}

bool job_table::fail(const std::string& id, errc code, std::string message) {
  return finish(id, job_state::failed, no_result{}, code == errc::none ? errc::internal : code,
                std::move(message));
}

bool job_table::cancel(const std::string& id) {
  return finish(id, job_state::cancelled, no_result{}, errc::none, {});
}

bool job_table::finish(const std::string& id, job_state to, job_value result, errc code,
                       std::string msg) {
  auto i = jobs_.find(id);
  if (i == jobs_.end() || is_terminal(i->second.state)) return false;
  auto& j = i->second;
  j.state = to;
  j.finished_ms = now_ms();
  j.result = std::move(result);
  j.error_code = code;
  j.error_message = std::move(msg);
  --active_;
  finished_.push_back(id);
  while (finished_.size() > max_finished_) {
    jobs_.erase(finished_.front());
    finished_.pop_front();
  }
  if (order_.size() > jobs_.size() * 2 + 64)
    std::erase_if(order_, [this](const std::string& x) { return !jobs_.count(x); });
  return true;
}

std::vector<job_info> job_table::list() const {
  std::vector<job_info> out;
  out.reserve(jobs_.size());
  for (auto& id : order_)
    if (auto j = find(id)) out.push_back(*j);
  return out;
}

} // namespace rbee
