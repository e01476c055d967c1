#pragma once
// Where a PKGBUILD function's body ends, found the way bash reads it (never by
// running it): quotes ('…', "…", $'…'), escapes, command and parameter
// substitutions, comments at the start of a word, here-documents (<<, <<-, quoted
// delimiters) whose lines are skipped whole, and braces that count only as bash's
// reserved words `{` and `}` in command position (`echo }` does not close a body).
// Private to the PKGBUILD parser; tested against bash itself (pkgbuild_bash_test).

#include <cstddef>
#include <string>
#include <string_view>

namespace rbee {

struct shell_scan_error {
  int line;
  std::string what;
};

/// `text` from `pos` (just after a function's opening `{`) to its closing `}`:
/// returns the position of that `}`; `line` is advanced over the newlines passed.
/// Throws shell_scan_error for an unterminated quote, substitution, here-document
/// or body.
size_t function_body_end(std::string_view text, size_t pos, int& line);

} // namespace rbee
