#include "log/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <mutex>
#include <string>

namespace rbee::logging {

namespace {

std::atomic<int> current{spdlog::level::info};
std::mutex make_mtx;

} // namespace

std::shared_ptr<spdlog::logger> get(std::string_view component) {
  std::string name(component);
  if (auto l = spdlog::get(name)) return l;
  std::lock_guard<std::mutex> g{make_mtx}; // two threads asking at once make one
  if (auto l = spdlog::get(name)) return l;
  auto l = spdlog::stderr_color_mt(name);
  l->set_level(static_cast<spdlog::level::level_enum>(current.load()));
  return l;
}

void set_level(std::string_view level) {
  auto lvl = spdlog::level::from_str(std::string(level)); // "off" for unknown names
  if (lvl == spdlog::level::off && level != "off") lvl = spdlog::level::info;
  current = lvl;
  spdlog::apply_all([lvl](const std::shared_ptr<spdlog::logger>& l) { l->set_level(lvl); });
}

} // namespace rbee::logging
