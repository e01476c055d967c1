#include "json/parse.hpp"

#include <rapidjson/error/en.h>

namespace rbee::json {

int nesting_depth(std::string_view text, int max_depth, std::size_t* at) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    switch (c) {
    case '"': in_string = true; break;
    case '[':
    case '{':
      if (++depth > deepest) deepest = depth;
      if (depth > max_depth) {
        if (at) *at = i;
        return max_depth + 1;
      }
      break;
    case ']':
    case '}':
      if (depth > 0) --depth;
      break;
    default: break;
    }
  }
  return deepest;
}

bool parse(rapidjson::Document& doc, std::string_view text, std::string* error, int max_depth) {
  std::size_t at = 0;
  if (nesting_depth(text, max_depth, &at) > max_depth) {
    doc.SetNull();
    doc.Parse(""); // still Null, with HasParseError() true for callers that ask the document
    if (error)
      *error = "JSON nested deeper than " + std::to_string(max_depth) + " levels (at offset " +
               std::to_string(at) + ")";
    return false;
  }
  doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  if (!doc.HasParseError()) return true;
  if (error)
    *error = "invalid JSON at offset " + std::to_string(doc.GetErrorOffset()) + ": " +
             rapidjson::GetParseError_En(doc.GetParseError());
  doc.SetNull(); // RapidJSON leaves a previous value in place on failure; HasParseError() stays true
  return false;
}

} // namespace rbee::json
