#pragma once
// The one way rbee parses JSON text from outside (HTTP bodies, files, answers of
// other services). RapidJSON's default parser recurses once per nesting level, so
// a body of half a million '[' overflows the thread's stack; here the nesting is
// measured first (a linear scan, no allocation) and anything deeper than a small
// limit is refused before RapidJSON sees it, then the text is parsed iteratively,
// its UTF-8 validated (a string of invalid bytes is a parse error).
// A refused document is left Null (HasParseError() true), so destroying it cannot
// recurse either.

#include <rapidjson/document.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace rbee::json {

/// Deep enough for any request rbee reads (OpenAI bodies with tool schemas), far
/// too shallow to hurt a stack.
inline constexpr int default_max_depth = 64;

/// The deepest nesting of arrays and objects in text (brackets inside strings do
/// not count), or max_depth + 1 as soon as it goes past max_depth; `at` gets the
/// offset where it did.
int nesting_depth(std::string_view text, int max_depth, std::size_t* at = nullptr);

/// Parses text into doc. On failure returns false, leaves doc Null with HasParseError() true
/// and, when
/// error is given, says why: "invalid JSON at offset N: …" or "JSON nested deeper
/// than 64 levels (at offset N)".
bool parse(rapidjson::Document& doc, std::string_view text, std::string* error = nullptr,
           int max_depth = default_max_depth);

} // namespace rbee::json
