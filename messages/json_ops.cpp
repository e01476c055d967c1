// Reading and writing operations as JSON, driven by their fields() lists (operations.hpp).
#include "messages/json.hpp"
#include "json/parse.hpp"
#include "json/writer.hpp"

#include <rapidjson/document.h>

#include <cmath>
#include <set>

namespace rbee::json {

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 64 || id[0] == '.') return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
      return false;
  return true;
}

namespace {

using value = rapidjson::Value;
using rule = field_rule;

bool has_control(std::string_view s, bool allow_newlines) {
  for (unsigned char c : s)
    if ((c < 0x20 && !(allow_newlines && (c == '\n' || c == '\t' || c == '\r'))) || c == 0x7f)
      return true;
  return false;
}

/// Reads the fields of one operation from a JSON object; the first problem wins.
class reader {
public:
  explicit reader(const value& obj) : obj_(obj) {}

  caf::error err;
  std::set<std::string> known{"operation"};

  void operator()(const char* name, std::string& x, rule r) {
    const value* v = take(name, r);
    if (!v) return;
    if (!v->IsString()) return fail(errc::bad_request, name, "must be a string");
    // Invalid UTF-8 (a lone \\u surrogate decodes to one) becomes U+FFFD here, as the writer would
    // make it: the limits apply to the text kept, and what is written reads back the same.
    std::string_view raw(v->GetString(), v->GetStringLength());
    std::string fixed = valid_utf8(raw) ? std::string() : make_valid_utf8(raw);
    std::string_view s = fixed.empty() ? raw : std::string_view(fixed);
    if (s.size() > r.max_len)
      return fail(errc::invalid_value, name, "is longer than " + std::to_string(r.max_len));
    if (r.id && !valid_id(s))
      return fail(errc::invalid_value, name, "must be 1-64 characters of [A-Za-z0-9._-]");
    if (has_control(s, r.max_len > 4096)) return fail(errc::invalid_value, name, "contains control characters");
    x.assign(s);
  }

  void operator()(const char* name, bool& x, rule r) {
    const value* v = take(name, r);
    if (!v) return;
    if (!v->IsBool()) return fail(errc::bad_request, name, "must be true or false");
    x = v->GetBool();
  }

  template <class T>
    requires(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>)
  void operator()(const char* name, T& x, rule r) {
    const value* v = take(name, r);
    if (!v) return;
    if (!v->IsNumber()) return fail(errc::bad_request, name, "must be a number");
    double d = v->GetDouble();
    if constexpr (std::is_integral_v<T>)
      if (!v->IsInt64() ) return fail(errc::bad_request, name, "must be an integer");
    if (!std::isfinite(d) || d < r.lo || d > r.hi)
      return fail(errc::invalid_value, name,
                  "must be between " + num(r.lo) + " and " + num(r.hi));
    x = std::is_integral_v<T> ? static_cast<T>(v->GetInt64()) : static_cast<T>(d);
  }

  void operator()(const char* name, std::vector<std::string>& xs, rule r) {
    const value* v = take(name, r);
    if (!v) return;
    if (!v->IsArray()) return fail(errc::bad_request, name, "must be an array of strings");
    if (v->Size() > r.hi) return fail(errc::invalid_value, name, "has more than " + num(r.hi) + " items");
    for (auto& e : v->GetArray()) {
      if (!e.IsString()) return fail(errc::bad_request, name, "must be an array of strings");
      if (e.GetStringLength() > r.max_len) return fail(errc::invalid_value, name, "has an item that is too long");
      xs.emplace_back(e.GetString(), e.GetStringLength());
    }
  }

  void operator()(const char* name, std::vector<chat_message>& xs, rule r) {
    const value* v = take(name, r);
    if (!v) return;
    if (!v->IsArray()) return fail(errc::bad_request, name, "must be an array of messages");
    for (auto& e : v->GetArray()) {
      if (!e.IsObject() || !e.HasMember("role") || !e["role"].IsString() || !e.HasMember("content") ||
          !e["content"].IsString())
        return fail(errc::bad_request, name, "items must be {\"role\": string, \"content\": string}");
      xs.push_back({e["role"].GetString(), e["content"].GetString()});
    }
  }

  void seed(const char* name, uint64_t& x, bool& has) {
    const value* v = take(name, rule{});
    if (!v) return;
    if (!v->IsUint64()) return fail(errc::bad_request, name, "must be a non-negative integer");
    x = v->GetUint64();
    has = true;
  }

private:
  const value* take(const char* name, const rule& r) {
    known.insert(name);
    if (err) return nullptr;
    auto it = obj_.FindMember(name);
    if (it == obj_.MemberEnd() || it->value.IsNull()) {
      if (r.required) fail(errc::bad_request, name, "is required");
      return nullptr;
    }
    return &it->value;
  }

  void fail(errc code, const char* name, std::string what) {
    if (!err) err = make_error(code, "field '" + std::string(name) + "' " + what);
  }

  static std::string num(double d) {
    auto s = std::to_string(d);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  }

  const value& obj_;
};

template <size_t I = 0>
bool make_op(std::string_view name, operation& out) {
  if constexpr (I < caf::detail::tl_size<operation::types>::value) {
    if (name == op_names()[I]) {
      out = typename caf::detail::tl_at<operation::types, I>::type{};
      return true;
    }
    return make_op<I + 1>(name, out);
  } else {
    return false;
  }
}

/// Writes the fields of one operation.
struct writer_visitor {
  rbee::json::writer& w;
  void operator()(const char* name, const std::string& x, rule r) {
    if (x.empty() && !r.required) return; // absent and empty read the same
    w.Key(name);
    w.String(x.c_str(), static_cast<rapidjson::SizeType>(x.size()));
  }
  void operator()(const char* name, bool x, rule) {
    if (!x) return; // absent and false read the same
    w.Key(name);
    w.Bool(x);
  }
  template <class T>
    requires(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>)
  void operator()(const char* name, T x, rule) {
    w.Key(name);
    if constexpr (std::is_integral_v<T>) w.Int64(x); else w.Double(x);
  }
  void operator()(const char* name, const std::vector<std::string>& xs, rule) {
    w.Key(name);
    w.StartArray();
    for (auto& x : xs) w.String(x.c_str(), static_cast<rapidjson::SizeType>(x.size()));
    w.EndArray();
  }
  void operator()(const char* name, const std::vector<chat_message>& xs, rule) {
    w.Key(name);
    w.StartArray();
    for (auto& m : xs) {
      w.StartObject();
      w.Key("role"); w.String(m.role.c_str());
      w.Key("content"); w.String(m.content.c_str(), static_cast<rapidjson::SizeType>(m.content.size()));
      w.EndObject();
    }
    w.EndArray();
  }
  void seed(const char* name, uint64_t x, bool has) {
    if (!has) return;
    w.Key(name);
    w.Uint64(x);
  }
};

} // namespace

caf::expected<operation> read_operation(std::string_view body) {
  rapidjson::Document doc;
  std::string error;
  if (!rbee::json::parse(doc, body, &error)) return make_error(errc::bad_request, error);
  if (!doc.IsObject()) return make_error(errc::bad_request, "the body must be a JSON object");
  auto tag = doc.FindMember("operation");
  if (tag == doc.MemberEnd()) return make_error(errc::bad_request, "field 'operation' is required");
  if (!tag->value.IsString()) return make_error(errc::bad_request, "field 'operation' must be a string");
  std::string name(tag->value.GetString(), tag->value.GetStringLength());
  operation op;
  if (!make_op(name, op)) {
    std::string shown = name.size() > 64 || has_control(name, false) ? "(unprintable)" : name;
    return make_error(errc::unknown_operation, "unknown operation '" + shown + "'");
  }
  reader r(doc);
  caf::visit([&](auto& x) { fields(r, x); }, op);
  if (r.err) return std::move(r.err);
  for (auto& m : doc.GetObject()) {
    std::string key(m.name.GetString(), m.name.GetStringLength());
    if (!r.known.count(key)) {
      if (key.size() > 64 || has_control(key, false)) key = "(unprintable)";
      return make_error(errc::bad_request, "unknown field '" + key + "' for operation " + name);
    }
  }
  // A missing hive stays missing: the queen decides (default_hive).
  return op;
}

std::string write(const operation& op) {
  rapidjson::StringBuffer buf;
  rbee::json::writer w(buf);
  w.StartObject();
  w.Key("operation");
  auto name = op_name(op);
  w.String(name.c_str());
  writer_visitor v{w};
  auto copy = op;
  caf::visit([&](auto& x) { fields(v, x); }, copy);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

} // namespace rbee::json
