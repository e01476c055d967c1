// GPT-2-style byte-level BPE: pre-tokenize with the model's regex (PCRE2, Unicode
// properties), map bytes to printable code points, merge pairs by rank.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "kernels/tokenizer.hpp"

#include <pcre2.h>

#include <memory>
#include <mutex>
#include <queue>

namespace rbee::kernels {

namespace {

// Pre-tokenizer patterns, as llama.cpp and the Hugging Face tokenizers define them.
constexpr const char* gpt2_pattern =
  R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
constexpr const char* llama3_pattern =
  R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr const char* qwen2_pattern =
  R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// GPT-4o's (o200k), which Phi-4 and gpt-oss use: case-aware words, contractions attached.
constexpr const char* gpt4o_pattern =
  R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|)"
  R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|)"
  R"(\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

/// The compiled patterns, freed at exit.
struct pattern_cache {
  std::mutex mtx;
  std::vector<std::pair<const char*, pcre2_code*>> codes;
  ~pattern_cache() {
    for (auto& [p, c] : codes) pcre2_code_free(c);
  }
};

/// One compiled pattern per distinct text, shared and thread-safe to use.
pcre2_code* compiled(const char* pattern) {
  static pattern_cache cache_;
  std::lock_guard<std::mutex> g{cache_.mtx};
  auto& cache = cache_.codes;
  for (auto& [p, c] : cache)
    if (p == pattern) return c;
  int err = 0;
  PCRE2_SIZE off = 0;
  auto* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern), PCRE2_ZERO_TERMINATED,
                             PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &err, &off, nullptr);
  if (!code) throw kernel_error("cannot compile the pre-tokenizer pattern");
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  cache.emplace_back(pattern, code);
  return code;
}

} // namespace

const std::vector<std::string>& byte_level_chars() {
  static const auto table = [] {
    std::vector<std::string> t(256);
    int extra = 0;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
      int cp = printable ? b : 256 + extra++;
      std::string s;
      if (cp < 0x80) {
        s += static_cast<char>(cp);
      } else {
        s += static_cast<char>(0xC0 | (cp >> 6));
        s += static_cast<char>(0x80 | (cp & 0x3F));
      }
      t[b] = s;
    }
    return t;
  }();
  return table;
}

const char* tokenizer::pre_pattern() const {
  if (pre_ == "llama3" || pre_ == "llama-bpe" || pre_ == "llama-v3" || pre_ == "smaug-bpe") return llama3_pattern;
  if (pre_ == "qwen2" || pre_ == "deepseek-r1-qwen") return qwen2_pattern;
  if (pre_ == "gpt-4o") return gpt4o_pattern;
  return gpt2_pattern; // "default", "gpt2" and, documented fallback, any other
}

std::vector<int32_t> tokenizer::encode_bpe(std::string_view text, const std::atomic<bool>* cancel) const {
  std::vector<int32_t> out;
  pcre2_code* re = compiled(pre_pattern());
  std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> md(
    pcre2_match_data_create_from_pattern(re, nullptr), pcre2_match_data_free);
  PCRE2_SIZE pos = 0;
  while (pos < text.size()) {
    if (cancel && cancel->load(std::memory_order_relaxed)) break;
    int rc = pcre2_match(re, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), pos, 0, md.get(), nullptr);
    if (rc < 0) { // no match (e.g. an invalid byte): take one byte on its own
      bpe_word(text.substr(pos, 1), out);
      ++pos;
      continue;
    }
    PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.get());
    if (ov[0] > pos) bpe_word(text.substr(pos, ov[0] - pos), out); // skipped bytes
    if (ov[1] == ov[0]) { // empty match: advance
      bpe_word(text.substr(ov[0], 1), out);
      pos = ov[0] + 1;
      continue;
    }
    bpe_word(text.substr(ov[0], ov[1] - ov[0]), out);
    pos = ov[1];
  }
  return out;
}

// Merges by rank with a priority queue over a linked list of symbols (as
// SentencePiece and llama.cpp do): O(n log n) in the length of the pre-token, so
// a prompt that is one 1 MiB "word" takes well under a second instead of hours.
// Equal ranks merge leftmost first, the order of the plain quadratic loop.
void tokenizer::bpe_word(std::string_view word, std::vector<int32_t>& out) const {
  const auto& chars = byte_level_chars();
  std::string text;
  text.reserve(word.size() * 2);
  struct symbol {
    int prev, next;
    size_t start, len;
  };
  std::vector<symbol> syms;
  syms.reserve(word.size());
  for (unsigned char c : word) {
    int idx = static_cast<int>(syms.size());
    syms.push_back({idx - 1, idx + 1, text.size(), chars[c].size()});
    text += chars[c];
  }
  if (syms.empty()) return;
  syms.back().next = -1;
  struct pair {
    int32_t rank;
    int left;
    size_t left_len, right_len;
    bool operator<(const pair& o) const { return rank > o.rank || (rank == o.rank && left > o.left); }
  };
  std::priority_queue<pair> queue;
  std::string key;
  auto try_pair = [&](int l) {
    if (l < 0 || syms[l].next < 0) return;
    const auto &a = syms[l], &b = syms[a.next];
    key.assign(text, a.start, a.len);
    key += ' ';
    key.append(text, b.start, b.len);
    auto it = merge_rank_.find(key);
    if (it != merge_rank_.end()) queue.push({it->second, l, a.len, b.len});
  };
  for (int i = 0; i + 1 < static_cast<int>(syms.size()); ++i) try_pair(i);
  while (!queue.empty()) {
    auto p = queue.top();
    queue.pop();
    auto& l = syms[p.left];
    if (l.len != p.left_len || l.next < 0) continue; // stale: the left side changed since
    auto& r = syms[l.next];
    if (r.len != p.right_len) continue; // stale: the right side grew since
    l.len += r.len;
    r.len = 0;
    l.next = r.next;
    if (l.next >= 0) syms[l.next].prev = p.left;
    try_pair(l.prev);
    try_pair(p.left);
  }
  std::vector<std::string> sym;
  for (int i = 0; i >= 0; i = syms[i].next) sym.push_back(text.substr(syms[i].start, syms[i].len));
  for (auto& s : sym) {
    int32_t id = find(s);
    if (id >= 0) {
      out.push_back(id);
      continue;
    }
    for (size_t i = 0; i < s.size();) { // unknown merge result: its single characters
      size_t len = (static_cast<unsigned char>(s[i]) & 0xE0) == 0xC0 ? 2 : 1;
      int32_t c = find(s.substr(i, len));
      if (c >= 0) out.push_back(c);
      else if (unk_ >= 0) out.push_back(unk_);
      i += len;
    }
  }
}

std::string tokenizer::bpe_decode(const std::string& s, bool raw) const {
  if (raw) return s;
  static const auto reverse = [] {
    std::unordered_map<std::string, char> m;
    const auto& chars = byte_level_chars();
    for (int b = 0; b < 256; ++b) m.emplace(chars[b], static_cast<char>(b));
    return m;
  }();
  std::string out;
  for (size_t i = 0; i < s.size();) {
    size_t len = (static_cast<unsigned char>(s[i]) & 0xE0) == 0xC0 ? 2 : 1;
    auto it = reverse.find(s.substr(i, len));
    if (it != reverse.end()) {
      out += it->second;
      i += len;
    } else { // not byte-level text (added tokens): keep as is
      out += s[i++];
    }
  }
  return out;
}

} // namespace rbee::kernels
