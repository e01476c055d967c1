#include "actors/install/pkgbuild.hpp"

#include "actors/install/pkgbuild_body.hpp"
#include "messages/errc.hpp"

#include <cctype>
#include <optional>
#include <string>

namespace rbee {

std::string pkgbuild::get(const std::string& name) const {
  auto it = vars.find(name);
  if (it == vars.end() || it->second.empty()) return "";
  std::string out;
  for (size_t i = 0; i < it->second.size(); ++i) out += (i ? " " : "") + it->second[i];
  return out;
}

std::vector<std::string> pkgbuild::list(const std::string& name) const {
  auto it = vars.find(name);
  return it == vars.end() ? std::vector<std::string>{} : it->second;
}

namespace {

constexpr size_t max_size = 1 << 20;

struct parse_error {
  int line;
  std::string what;
};

bool name_char(char c, bool first) {
  return c == '_' || std::isalpha(static_cast<unsigned char>(c)) || (!first && std::isdigit(static_cast<unsigned char>(c)));
}

class parser {
public:
  explicit parser(std::string_view t) : t_(t) {}

  pkgbuild run() {
    while (skip_blank_lines(), pos_ < t_.size()) statement();
    for (const char* k : {"pkgname", "pkgver", "pkgrel"})
      if (out_.get(k).empty()) throw parse_error{line_, std::string("'") + k + "' is required"};
    // These become path components: keep them to the characters makepkg allows.
    check_field("pkgname", "abcdefghijklmnopqrstuvwxyz0123456789@._+-");
    check_field("pkgver", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+~");
    check_field("pkgrel", "0123456789.");
    return out_;
  }

private:
  void check_field(const char* key, std::string_view allowed) {
    auto v = out_.list(key);
    if (v.size() != 1) throw parse_error{line_, std::string("'") + key + "' must be one value"};
    const std::string& s = v[0];
    bool ok = s.size() <= 128 && s[0] != '-' && s[0] != '.';
    for (char c : s) ok = ok && allowed.find(c) != std::string_view::npos;
    if (!ok) throw parse_error{line_, std::string("'") + key + "' has characters makepkg does not allow: '" + s.substr(0, 40) + "'"};
  }

  char peek(size_t k = 0) const { return pos_ + k < t_.size() ? t_[pos_ + k] : '\0'; }
  char next() {
    char c = t_[pos_++];
    if (c == '\n') ++line_;
    return c;
  }
  [[noreturn]] void fail(std::string what) { throw parse_error{line_, std::move(what)}; }

  /// Spaces, tabs, line continuations (not newlines).
  void skip_spaces() {
    for (;;) {
      if (peek() == ' ' || peek() == '\t' || peek() == '\r') {
        next();
      } else if (peek() == '\\' && peek(1) == '\n') {
        next();
        next();
      } else {
        return;
      }
    }
  }
  void skip_comment() {
    if (peek() == '#')
      while (pos_ < t_.size() && peek() != '\n') next();
  }
  void skip_blank_lines() {
    for (;;) {
      skip_spaces();
      skip_comment();
      if (peek() == '\n' || peek() == ';') {
        next();
        continue;
      }
      return;
    }
  }
  void end_of_statement() {
    skip_spaces();
    skip_comment();
    if (pos_ < t_.size() && peek() != '\n' && peek() != ';') fail("unexpected text after the statement");
  }

  std::string name() {
    std::string n;
    if (!name_char(peek(), true)) fail("expected a name");
    while (name_char(peek(), n.empty())) n += next();
    return n;
  }

  void statement() {
    size_t start = pos_;
    int start_line = line_;
    if (!name_char(peek(), true)) fail("only assignments and functions are allowed here");
    std::string n = name();
    if (peek() == '=' || (peek() == '+' && peek(1) == '=')) {
      bool append = peek() == '+';
      next();
      if (append) next();
      std::vector<std::string> values;
      if (peek() == '(') {
        next();
        values = array();
      } else {
        auto w = word();
        if (w) values.push_back(*w);
      }
      auto& v = out_.vars[n];
      if (!append) v.clear();
      v.insert(v.end(), values.begin(), values.end());
      end_of_statement();
      return;
    }
    skip_spaces();
    if (peek() == '(' ) { // name() { ... }
      next();
      skip_spaces();
      if (peek() != ')') fail("expected ')' after the function name");
      next();
      skip_blank_lines();
      if (peek() != '{') fail("expected '{' to open the function body");
      next();
      out_.functions[n] = body();
      end_of_statement();
      return;
    }
    (void)start;
    line_ = start_line;
    fail("'" + n + "' is not an assignment or a function; only those are allowed outside functions");
  }

  /// Words up to ')' (newlines and comments allowed between them).
  std::vector<std::string> array() {
    std::vector<std::string> out;
    for (;;) {
      skip_blank_lines();
      if (pos_ >= t_.size()) fail("unterminated array: missing ')'");
      if (peek() == ')') {
        next();
        return out;
      }
      auto w = word();
      if (!w) fail("unexpected character '" + std::string(1, peek()) + "' in an array");
      out.push_back(*w);
    }
  }

  /// One shell word: unquoted, 'single', "double" parts concatenated.
  std::optional<std::string> word() {
    std::string w;
    bool any = false;
    for (;;) {
      char c = peek();
      if (c == '\'') {
        next();
        while (pos_ < t_.size() && peek() != '\'') w += next();
        if (pos_ >= t_.size()) fail("unterminated single quote");
        next();
        any = true;
      } else if (c == '"') {
        next();
        while (pos_ < t_.size() && peek() != '"') {
          if (peek() == '\\' && (peek(1) == '"' || peek(1) == '\\' || peek(1) == '$' || peek(1) == '`')) {
            next();
            w += next();
          } else if (peek() == '\\' && peek(1) == '\n') {
            next();
            next();
          } else if (peek() == '$') {
            w += expansion();
          } else if (peek() == '`') {
            fail("command substitution is not allowed in metadata");
          } else {
            w += next();
          }
        }
        if (pos_ >= t_.size()) fail("unterminated double quote");
        next();
        any = true;
      } else if (c == '$') {
        w += expansion();
        any = true;
      } else if (c == '`') {
        fail("command substitution is not allowed in metadata");
      } else if (c == '\\' && peek(1) == '\n') {
        break;
      } else if (c == '\\' && peek(1) != '\0') {
        next();
        w += next();
        any = true;
      } else if (c == '\0' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ';' || c == ')' || c == '(' ||
                 c == '#' || c == '|' || c == '&' || c == '<' || c == '>') {
        if ((c == '|' || c == '&' || c == '<' || c == '>') && any) fail("pipes and redirections are not allowed in metadata");
        if (c == '(' ) fail("unexpected '('");
        break;
      } else {
        w += next();
        any = true;
      }
    }
    if (!any) return std::nullopt;
    return w;
  }

  /// $name, ${name}, ${name[@]}; $( and $(( are refused.
  std::string expansion() {
    next(); // $
    if (peek() == '(') fail("command substitution is not allowed in metadata");
    std::string n;
    if (peek() == '{') {
      next();
      while (pos_ < t_.size() && peek() != '}') n += next();
      if (pos_ >= t_.size()) fail("unterminated ${");
      next();
      if (n.size() > 3 && n.substr(n.size() - 3) == "[@]") n = n.substr(0, n.size() - 3);
      for (size_t i = 0; i < n.size(); ++i)
        if (!name_char(n[i], i == 0)) fail("only ${name} expansions are allowed, not ${" + n.substr(0, 40) + "}");
    } else if (name_char(peek(), true)) {
      n = name();
    } else {
      return "$";
    }
    return out_.get(n); // earlier variables only; unknown ones are empty, as in the shell
  }

  /// A function body up to its matching '}' (pkgbuild_body.hpp: as bash reads it).
  std::string body() {
    size_t start = pos_;
    try {
      size_t end = function_body_end(t_, pos_, line_);
      pos_ = end + 1;
      return std::string(t_.substr(start, end - start));
    } catch (const shell_scan_error& e) {
      throw parse_error{e.line, e.what};
    }
  }

  std::string_view t_;
  size_t pos_ = 0;
  int line_ = 1;
  pkgbuild out_;
};

} // namespace

caf::expected<pkgbuild> parse_pkgbuild(std::string_view text) {
  if (text.size() > max_size) return make_error(errc::bad_request, "PKGBUILD is larger than 1 MiB");
  if (text.find('\0') != std::string_view::npos) return make_error(errc::bad_request, "PKGBUILD contains a NUL byte");
  try {
    return parser(text).run();
  } catch (const parse_error& e) {
    return make_error(errc::bad_request, "PKGBUILD line " + std::to_string(e.line) + ": " + e.what);
  }
}

} // namespace rbee
