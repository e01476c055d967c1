#pragma once
// Private to messages/'s JSON writers (json_write.cpp, json_results.cpp): the
// writer of one document, and "key": value in one call.

#include "json/writer.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace rbee::json::detail {

/// The document `f` writes, as text.
template <class F>
std::string with_writer(F f) {
  rapidjson::StringBuffer buf;
  writer w(buf);
  f(w);
  return std::string(buf.GetString(), buf.GetSize());
}

inline void str(writer& w, const char* key, std::string_view v) {
  w.Key(key);
  w.String(v);
}

inline void num(writer& w, const char* key, int64_t v) {
  w.Key(key);
  w.Int64(v);
}

inline void unum(writer& w, const char* key, uint64_t v) {
  w.Key(key);
  w.Uint64(v);
}

} // namespace rbee::json::detail
