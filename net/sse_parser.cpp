#include "net/sse_parser.hpp"

namespace rbee::net {

bool sse_parser::feed(std::string_view bytes, const callback& on_event) {
  for (char c : bytes) {
    if (saw_cr_) {
      saw_cr_ = false;
      if (c == '\n') continue; // CRLF
    }
    if (c == '\r' || c == '\n') {
      saw_cr_ = c == '\r';
      std::string l = std::move(buf_);
      buf_.clear();
      if (!line(l, on_event)) return false;
      continue;
    }
    buf_ += c;
  }
  return true;
}

bool sse_parser::line(std::string_view l, const callback& on_event) {
  if (l.empty()) { // dispatch
    bool keep = true;
    if (has_data_) {
      if (!cur_.data.empty() && cur_.data.back() == '\n') cur_.data.pop_back();
      cur_.id = last_id_;
      keep = on_event(cur_);
    }
    cur_ = sse_event{};
    has_data_ = false;
    return keep;
  }
  if (l.front() == ':') {
    ++comments_;
    return true;
  }
  auto colon = l.find(':');
  std::string_view name = l.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view{} : l.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (name == "data") {
    cur_.data.append(value);
    cur_.data += '\n';
    has_data_ = true;
  } else if (name == "event") {
    cur_.event = std::string(value);
  } else if (name == "id") {
    if (value.find('\0') == std::string_view::npos) last_id_ = std::string(value);
  }
  return true;
}

void split_frame(const std::string& frame, std::string& event, std::string& data) {
  event.clear();
  data.clear();
  for (size_t pos = 0; pos < frame.size();) {
    size_t end = frame.find('\n', pos);
    if (end == std::string::npos) end = frame.size();
    std::string_view line(frame.data() + pos, end - pos);
    if (line.starts_with("event: ")) {
      event = line.substr(7);
    } else if (line.starts_with("data: ")) {
      if (!data.empty()) data += '\n';
      data += line.substr(6);
    }
    pos = end + 1;
  }
}

} // namespace rbee::net
