#include "json/writer.hpp"

namespace rbee::json {

namespace {

bool cont(unsigned char c) { return (c & 0xC0) == 0x80; }

} // namespace

int utf8_sequence(std::string_view s) {
  if (s.empty()) return 0;
  auto c = static_cast<unsigned char>(s[0]);
  if (c < 0x80) return 1;
  int need;
  unsigned char lo = 0x80, hi = 0xBF; // the range of the second byte (Unicode Table 3-7)
  if (c >= 0xC2 && c <= 0xDF) need = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    need = 3;
    if (c == 0xE0) lo = 0xA0;      // no overlong forms
    else if (c == 0xED) hi = 0x9F; // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 4;
    if (c == 0xF0) lo = 0x90;      // no overlong forms
    else if (c == 0xF4) hi = 0x8F; // nothing above U+10FFFF
  } else
    return -1; // a continuation byte, C0/C1 or F5..FF: never a lead
  for (int i = 1; i < need; ++i) {
    if (static_cast<std::size_t>(i) >= s.size()) return 0;
    auto b = static_cast<unsigned char>(s[static_cast<std::size_t>(i)]);
    bool ok = i == 1 ? b >= lo && b <= hi : cont(b);
    if (!ok) return -i;
  }
  return need;
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    int n = utf8_sequence(s.substr(i));
    if (n <= 0) return false;
    i += static_cast<std::size_t>(n);
  }
  return true;
}

std::string make_valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (std::size_t i = 0; i < s.size();) {
    int n = utf8_sequence(s.substr(i));
    if (n > 0) {
      out.append(s, i, static_cast<std::size_t>(n));
      i += static_cast<std::size_t>(n);
      continue;
    }
    out += "\xEF\xBF\xBD";
    if (n == 0) break; // cut off at the end
    i += static_cast<std::size_t>(-n);
  }
  return out;
}

bool writer::text(const char* s, rapidjson::SizeType n, bool copy, bool key) {
  std::string_view v(s, n);
  if (valid_utf8(v)) return key ? base::Key(s, n, copy) : base::String(s, n, copy);
  std::string fixed = make_valid_utf8(v);
  auto m = static_cast<rapidjson::SizeType>(fixed.size());
  return key ? base::Key(fixed.data(), m, true) : base::String(fixed.data(), m, true);
}

} // namespace rbee::json
