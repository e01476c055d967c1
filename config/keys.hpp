#pragma once
// The table of configuration keys: name, type, bounds. Private to config/.

#include "config/settings.hpp"

#include <functional>
#include <span>

namespace rbee::config::detail {

enum class key_kind { text, integer, list, address };

struct key_info {
  const char* name;
  key_kind kind;
  int64_t min = 0;
  int64_t max = 0;
  std::function<void(settings&, const std::string&)> set_text;          // text, address
  std::function<void(settings&, int64_t)> set_int;                      // integer
  std::function<void(settings&, std::vector<std::string>)> set_list;    // list
  std::function<std::string(const settings&)> show;                     // JSON value
};

std::span<const key_info> keys();
const key_info* find_key(std::string_view name);

/// Validates and stores an integer, a string or a list for `k`.
std::optional<config_error> store_int(settings& s, const key_info& k, int64_t v);
std::optional<config_error> store_text(settings& s, const key_info& k, const std::string& v);
std::optional<config_error> store_list(settings& s, const key_info& k, std::vector<std::string> v);

} // namespace rbee::config::detail
