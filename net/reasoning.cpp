#include "net/reasoning.hpp"

namespace rbee::net {

namespace {

constexpr std::string_view open_tag = "<think>", close_tag = "</think>";
constexpr std::string_view h_start = "<|start|>", h_channel = "<|channel|>", h_message = "<|message|>";
constexpr std::string_view h_ends[] = {"<|end|>", "<|return|>", "<|call|>"};

/// The length of the longest end of `s` that begins `tag` (a tag cut by a piece boundary).
size_t partial_tag(std::string_view s, std::string_view tag) {
  for (size_t n = std::min(s.size(), tag.size() - 1); n > 0; --n)
    if (s.substr(s.size() - n) == tag.substr(0, n)) return n;
  return 0;
}

std::string_view ltrim(std::string_view s) {
  size_t i = s.find_first_not_of(" \t\r\n");
  return i == std::string_view::npos ? std::string_view{} : s.substr(i);
}

} // namespace

void reasoning_splitter::answer(std::string_view text, split_text& out) {
  if (after_think_) { // "</think>\n\n": the newlines belong to neither part
    size_t i = text.find_first_not_of("\r\n");
    if (i == std::string_view::npos) return;
    text = text.substr(i);
    after_think_ = false;
  }
  out.content += text;
}

split_text reasoning_splitter::feed(std::string_view text) {
  split_text out;
  if (mode_ == mode::answering) {
    answer(text, out);
    return out;
  }
  held_ += text;
  if (mode_ == mode::harmony) {
    harmony(out);
    return out;
  }
  if (mode_ == mode::start) {
    std::string_view s = ltrim(held_);
    if (held_.size() > 4096) s = held_; // endless leading blanks: no tag is coming, let them out
    if (s.size() < open_tag.size() && open_tag.substr(0, s.size()) == s) return out; // maybe "<think>" still
    for (auto marker : {h_channel, h_start}) {
      if (s.size() < marker.size() && marker.substr(0, s.size()) == s) return out; // maybe harmony's
      if (s.substr(0, marker.size()) == marker) {
        mode_ = mode::harmony;
        held_ = std::string(s);
        harmony(out);
        return out;
      }
    }
    if (s.substr(0, open_tag.size()) != open_tag) { // no reasoning block: all of it is the answer
      mode_ = mode::answering;
      std::string all = std::move(held_);
      held_.clear();
      answer(all, out);
      return out;
    }
    mode_ = mode::thinking;
    held_ = std::string(s.substr(open_tag.size()));
  }
  if (!began_) { // "<think>\n": the reasoning starts at its first visible character
    held_ = std::string(ltrim(held_));
    if (held_.empty()) return out;
    began_ = true;
  }
  // thinking: up to </think>, keeping back what may be its beginning.
  if (auto at = held_.find(close_tag); at != std::string::npos) {
    out.reasoning = held_.substr(0, at);
    std::string rest = held_.substr(at + close_tag.size());
    held_.clear();
    mode_ = mode::answering;
    after_think_ = true;
    answer(rest, out);
    return out;
  }
  size_t keep = partial_tag(held_, close_tag);
  out.reasoning = held_.substr(0, held_.size() - keep);
  held_.erase(0, held_.size() - keep);
  return out;
}

void reasoning_splitter::harmony(split_text& out) {
  for (;;) {
    if (!in_message_) { // [<|start|>role]<|channel|>name<|message|>: held until whole
      if (held_.empty() || held_ == "<") return; // maybe a marker's beginning
      if (held_.compare(0, 2, "<|") != 0) { // text outside any message: the answer's
        size_t at = held_.find('<', 1);
        out.content += held_.substr(0, at);
        held_.erase(0, at == std::string::npos ? held_.size() : at);
        continue;
      }
      size_t msg = held_.find(h_message);
      if (msg == std::string::npos) {
        if (held_.size() > 4096) { // no header that long: not harmony after all
          out.content += held_;
          held_.clear();
        }
        return;
      }
      std::string_view head(held_.data(), msg);
      size_t ch = head.find(h_channel);
      std::string_view name = ch == std::string_view::npos ? std::string_view{} : head.substr(ch + h_channel.size());
      analysis_ = name.substr(0, 8) == "analysis";
      in_message_ = true;
      held_.erase(0, msg + h_message.size());
      continue;
    }
    size_t end = std::string::npos, len = 0;
    for (auto e : h_ends)
      if (size_t at = held_.find(e); at < end) end = at, len = e.size();
    std::string& to = analysis_ ? out.reasoning : out.content;
    if (end != std::string::npos) {
      to += held_.substr(0, end);
      held_.erase(0, end + len);
      in_message_ = false;
      continue;
    }
    size_t keep = 0;
    for (auto e : h_ends) keep = std::max(keep, partial_tag(held_, e));
    to += held_.substr(0, held_.size() - keep);
    held_.erase(0, held_.size() - keep);
    return;
  }
}

split_text reasoning_splitter::finish() {
  split_text out;
  if (mode_ == mode::thinking) out.reasoning = std::move(held_); // cut off while thinking
  else if (mode_ == mode::harmony && in_message_ && analysis_) out.reasoning = std::move(held_);
  else if (mode_ == mode::start || mode_ == mode::harmony) out.content = std::move(held_);
  held_.clear();
  return out;
}

split_text split_reasoning(std::string_view text) {
  reasoning_splitter s;
  split_text a = s.feed(text), b = s.finish();
  return {a.reasoning + b.reasoning, a.content + b.content};
}

} // namespace rbee::net
