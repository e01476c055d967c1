#pragma once
// One named logger per component (spdlog), all writing to stderr at one level
// (the log_level setting). What an operator needs — joins, losses, failures,
// slow requests — goes out at info or above, the rest at debug. A line about a
// job starts with "job=ID".
//
//   static const auto lg = logging::get("queen");
//   lg->warn("job={} failed: {}", id, why);

#include <memory>
#include <string_view>

namespace spdlog {
class logger;
}

namespace rbee::logging {

/// The logger of `component` (queen, hive, worker, downloader, installer, bridge,
/// http, ...), made on first use.
std::shared_ptr<spdlog::logger> get(std::string_view component);

/// Sets the level of every logger, present and future: trace, debug, info, warn,
/// error, critical, off (anything else: info).
void set_level(std::string_view level);

} // namespace rbee::logging
