#pragma once
// The one way rbee writes JSON: RapidJSON's writer whose every string and key
// comes out as valid UTF-8. Text that is not (a model's byte tokens forming an
// invalid sequence, a file name from disk, a peer's error message) has each
// invalid sequence replaced by U+FFFD, so strict clients (Python's json, the
// OpenAI SDKs) can always read what rbee writes.

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace rbee::json {

/// Length of the UTF-8 sequence at the start of s: > 0 a valid character of that
/// many bytes; 0 a valid beginning cut off by the end of s; < 0 invalid, -n being
/// the bytes (the maximal subpart, Unicode 3.9) that one U+FFFD replaces.
int utf8_sequence(std::string_view s);

bool valid_utf8(std::string_view s);

/// s with each invalid sequence (and a cut-off one at the end) replaced by U+FFFD.
std::string make_valid_utf8(std::string_view s);

/// rapidjson::Writer over a StringBuffer that writes valid UTF-8 only. Use it as
/// the concrete type (the base's String/Key are not virtual).
class writer : public rapidjson::Writer<rapidjson::StringBuffer> {
public:
  using base = rapidjson::Writer<rapidjson::StringBuffer>;
  explicit writer(rapidjson::StringBuffer& out) : base(out) {}

  bool String(const char* s, rapidjson::SizeType n, bool copy = false) { return text(s, n, copy, false); }
  bool String(const char* s) { return String(s, static_cast<rapidjson::SizeType>(std::char_traits<char>::length(s))); }
  bool String(const std::string& s) { return String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }
  bool String(std::string_view s) { return String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy = false) { return text(s, n, copy, true); }
  bool Key(const char* s) { return Key(s, static_cast<rapidjson::SizeType>(std::char_traits<char>::length(s))); }
  bool Key(const std::string& s) { return Key(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

private:
  bool text(const char* s, rapidjson::SizeType n, bool copy, bool key);
};

} // namespace rbee::json
