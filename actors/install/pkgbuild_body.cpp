#include "actors/install/pkgbuild_body.hpp"

#include <cctype>
#include <utility>
#include <vector>

namespace rbee {

namespace {

bool blank(char c) { return c == ' ' || c == '\t'; }
/// Characters that end a word (bash's metacharacters, and newline).
bool meta(char c) { return blank(c) || c == '\n' || c == ';' || c == '&' || c == '|' || c == '(' || c == ')' || c == '<' || c == '>'; }

/// Words after which the next word is again a command (if, then, do, ...).
bool keeps_command_position(std::string_view w) {
  for (std::string_view k : {"if", "then", "else", "elif", "while", "until", "do", "!", "time", "{"})
    if (w == k) return true;
  // An assignment before a command (a=1 cmd) also leaves the command to come.
  size_t eq = w.find('=');
  if (eq == 0 || eq == std::string_view::npos) return false;
  for (size_t i = 0; i < eq; ++i)
    if (!(w[i] == '_' || std::isalnum(static_cast<unsigned char>(w[i]))) || (i == 0 && std::isdigit(static_cast<unsigned char>(w[i]))))
      return false;
  return true;
}

class scanner {
public:
  scanner(std::string_view t, size_t pos, int& line) : t_(t), pos_(pos), line_(line) {}

  size_t body_end() {
    int depth = 1;
    bool command = true;     // the next word is in command position
    bool word_start = true;  // for '#'
    while (pos_ < t_.size()) {
      char c = t_[pos_];
      if (c == '\n') {
        advance();
        heredoc_bodies();
        command = word_start = true;
      } else if (blank(c)) {
        advance();
        word_start = true;
      } else if (c == ';' || c == '&' || c == '|' || c == '(' || c == ')') {
        advance();
        command = word_start = true;
      } else if (c == '<' || c == '>') {
        if (c == '<' && peek(1) == '<' && peek(2) != '<') {
          pos_ += 2;
          heredoc_operator();
        } else {
          advance();
        }
        word_start = true;
      } else if (c == '#' && word_start) {
        while (pos_ < t_.size() && t_[pos_] != '\n') advance();
      } else {
        size_t start = pos_;
        word();
        std::string_view w = t_.substr(start, pos_ - start);
        if (command && w == "{") {
          ++depth;
        } else if (command && w == "}") {
          if (--depth == 0) return start;
        }
        command = command && keeps_command_position(w);
        word_start = false;
      }
    }
    fail("unterminated function body: missing '}'");
  }

private:
  char peek(size_t k = 0) const { return pos_ + k < t_.size() ? t_[pos_ + k] : '\0'; }
  void advance() {
    if (t_[pos_] == '\n') ++line_;
    ++pos_;
  }
  [[noreturn]] void fail(std::string what) { throw shell_scan_error{line_, std::move(what)}; }

  /// One word, up to a metacharacter outside quotes and substitutions.
  void word() {
    while (pos_ < t_.size() && !meta(t_[pos_])) element();
  }

  /// One piece of a word: an escape, a quoted string, a substitution, or a character.
  void element() {
    char c = t_[pos_];
    if (c == '\\') {
      advance();
      if (pos_ < t_.size()) advance();
    } else if (c == '\'') {
      single_quoted();
    } else if (c == '"') {
      double_quoted();
    } else if (c == '`') {
      back_quoted();
    } else if (c == '$' && peek(1) == '\'') {
      advance();
      ansi_c_quoted();
    } else if (c == '$' && peek(1) == '(') {
      advance();
      advance();
      parenthesized();
    } else if (c == '$' && peek(1) == '{') {
      advance();
      advance();
      braced();
    } else {
      advance();
    }
  }

  void single_quoted() {
    advance();
    while (pos_ < t_.size() && t_[pos_] != '\'') advance();
    if (pos_ >= t_.size()) fail("unterminated single quote");
    advance();
  }
  void ansi_c_quoted() { // $'...': backslash escapes, \' among them
    advance();
    while (pos_ < t_.size() && t_[pos_] != '\'') {
      if (t_[pos_] == '\\') advance();
      if (pos_ < t_.size()) advance();
    }
    if (pos_ >= t_.size()) fail("unterminated $'...' quote");
    advance();
  }
  void double_quoted() {
    advance();
    while (pos_ < t_.size() && t_[pos_] != '"') {
      char c = t_[pos_];
      if (c == '\\') {
        advance();
        if (pos_ < t_.size()) advance();
      } else if (c == '`' || (c == '$' && (peek(1) == '(' || peek(1) == '{'))) {
        element(); // substitutions nest: a '"' inside $(...) does not end this string
      } else {
        advance();
      }
    }
    if (pos_ >= t_.size()) fail("unterminated double quote");
    advance();
  }
  void back_quoted() {
    advance();
    while (pos_ < t_.size() && t_[pos_] != '`') {
      if (t_[pos_] == '\\') advance();
      if (pos_ < t_.size()) advance();
    }
    if (pos_ >= t_.size()) fail("unterminated backquote");
    advance();
  }
  /// After "$(": up to the matching ')' (quotes, nested substitutions, comments).
  void parenthesized() {
    int depth = 1;
    bool word_start = true;
    while (pos_ < t_.size()) {
      char c = t_[pos_];
      if (c == ')' && --depth == 0) {
        advance();
        return;
      }
      if (c == '(') ++depth;
      if (c == '#' && word_start) {
        while (pos_ < t_.size() && t_[pos_] != '\n') advance();
        continue;
      }
      word_start = meta(c);
      if (meta(c)) advance();
      else element();
    }
    fail("unterminated $(...)");
  }
  /// After "${": up to the matching '}'.
  void braced() {
    while (pos_ < t_.size() && t_[pos_] != '}') {
      char c = t_[pos_];
      if (c == '\\' || c == '\'' || c == '"' || c == '`' || c == '$') element();
      else advance();
    }
    if (pos_ >= t_.size()) fail("unterminated ${...}");
    advance();
  }

  /// After "<<": the delimiter word (quotes removed); its lines come after this line.
  void heredoc_operator() {
    bool strip_tabs = peek() == '-';
    if (strip_tabs) advance();
    while (pos_ < t_.size() && blank(t_[pos_])) advance();
    std::string delim;
    while (pos_ < t_.size() && !meta(t_[pos_])) {
      char c = t_[pos_];
      if (c == '\\') {
        advance();
        if (pos_ < t_.size()) delim += t_[pos_], advance();
      } else if (c == '\'' || c == '"') {
        advance();
        while (pos_ < t_.size() && t_[pos_] != c) delim += t_[pos_], advance();
        if (pos_ >= t_.size()) fail("unterminated quote in a here-document delimiter");
        advance();
      } else {
        delim += c;
        advance();
      }
    }
    if (delim.empty()) fail("a here-document needs a delimiter after <<");
    pending_.emplace_back(std::move(delim), strip_tabs);
  }
  /// At the start of a line: the lines of every here-document opened on the last one.
  void heredoc_bodies() {
    for (auto& [delim, strip_tabs] : pending_) {
      for (;;) {
        if (pos_ >= t_.size()) fail("unterminated here-document (no line '" + delim.substr(0, 40) + "')");
        size_t end = t_.find('\n', pos_);
        if (end == std::string_view::npos) end = t_.size();
        std::string_view l = t_.substr(pos_, end - pos_);
        if (strip_tabs)
          while (!l.empty() && l.front() == '\t') l.remove_prefix(1);
        pos_ = end;
        if (pos_ < t_.size()) advance();
        if (l == delim) break;
      }
    }
    pending_.clear();
  }

  std::string_view t_;
  size_t pos_;
  int& line_;
  std::vector<std::pair<std::string, bool>> pending_;
};

} // namespace

size_t function_body_end(std::string_view text, size_t pos, int& line) {
  return scanner(text, pos, line).body_end();
}

} // namespace rbee
