#include "kernels/tokenizer.hpp"

#include <algorithm>
#include <cstdio>
#include <queue>

namespace rbee::kernels {

namespace {

/// Length of the UTF-8 sequence starting with byte `c` (1 for invalid bytes).
size_t utf8_len(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) return 2;
  if ((c & 0xF0) == 0xE0) return 3;
  if ((c & 0xF8) == 0xF0) return 4;
  return 1;
}

const std::string_view space_marker = "\xE2\x96\x81"; // U+2581

/// The byte of a byte token's text "<0xHH>", or -1 when the text is anything else.
int hex_byte(std::string_view s) {
  auto digit = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  if (s.size() != 6 || !s.starts_with("<0x") || s[5] != '>') return -1;
  int hi = digit(s[3]), lo = digit(s[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

int32_t id_of(const gguf_file& f, const char* key, int32_t n_vocab, int32_t fallback) {
  if (!f.find(key)) return fallback;
  int64_t v = f.get_int(key);
  if (v == 0xFFFFFFFFll || v == -1) return -1;
  if (v < 0 || v >= n_vocab) throw kernel_error(std::string("metadata '") + key + "' is outside the vocabulary");
  return static_cast<int32_t>(v);
}

} // namespace

result<std::shared_ptr<tokenizer>> tokenizer::from_gguf(const gguf_file& f) {
  return guarded([&] {
    std::shared_ptr<tokenizer> t(new tokenizer);
    std::string model = f.get_string("tokenizer.ggml.model");
    if (model == "llama")
      t->kind_ = kind::spm;
    else if (model == "gpt2")
      t->kind_ = kind::bpe;
    else
      throw kernel_error("tokenizer model '" + model + "' is not supported (llama and gpt2 are)");
    auto tokens = f.get_strings("tokenizer.ggml.tokens");
    if (tokens.empty() || tokens.size() > (1u << 24)) throw kernel_error("tokenizer.ggml.tokens has a bad size");
    auto n = static_cast<int32_t>(tokens.size());
    t->vocab_.assign(tokens.begin(), tokens.end());
    for (int32_t i = 0; i < n; ++i) {
      t->ids_.emplace(t->vocab_[i], i); // first wins
      t->max_token_bytes_ = std::max(t->max_token_bytes_, t->vocab_[i].size());
    }
    if (f.find("tokenizer.ggml.scores")) t->scores_ = f.get_floats("tokenizer.ggml.scores");
    if (!t->scores_.empty() && t->scores_.size() != tokens.size())
      throw kernel_error("tokenizer.ggml.scores does not match the vocabulary size");
    t->scores_.resize(tokens.size(), 0.f);
    t->types_.assign(tokens.size(), token_type::normal);
    if (f.find("tokenizer.ggml.token_type")) {
      auto types = f.get_ints("tokenizer.ggml.token_type");
      if (types.size() != tokens.size()) throw kernel_error("tokenizer.ggml.token_type does not match the vocabulary size");
      for (size_t i = 0; i < types.size(); ++i) t->types_[i] = static_cast<token_type>(types[i]);
    }
    t->bos_ = id_of(f, "tokenizer.ggml.bos_token_id", n, t->kind_ == kind::spm && n > 1 ? 1 : -1);
    t->eos_ = id_of(f, "tokenizer.ggml.eos_token_id", n, t->kind_ == kind::spm && n > 2 ? 2 : -1);
    t->unk_ = id_of(f, "tokenizer.ggml.unknown_token_id", n, t->kind_ == kind::spm ? 0 : -1);
    t->add_bos_ = f.opt_bool("tokenizer.ggml.add_bos_token", t->kind_ == kind::spm);
    t->add_space_prefix_ = f.opt_bool("tokenizer.ggml.add_space_prefix", t->kind_ == kind::spm);
    t->pre_ = f.opt_string("tokenizer.ggml.pre", "default");
    if (t->eos_ >= 0) t->eog_.push_back(t->eos_);
    int32_t eot = id_of(f, "tokenizer.ggml.eot_token_id", n, -1);
    if (eot >= 0) t->eog_.push_back(eot);
    auto control = [&](const char* s) {
      auto id = t->find(s);
      return id >= 0 && t->types_[static_cast<size_t>(id)] == token_type::control ? id : -1;
    };
    // Harmony (gpt-oss): <|end|> closes a message (the reasoning's, before the answer's), so
    // only <|return|> and <|call|> end the generation, as llama.cpp has it.
    t->harmony_ = control("<|channel|>") >= 0 && control("<|message|>") >= 0 && control("<|return|>") >= 0;
    for (const char* s : {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<|return|>", "<|call|>"})
      if (auto id = control(s); id >= 0 && !(t->harmony_ && std::string_view(s) == "<|end|>")) t->eog_.push_back(id);
    if (t->harmony_) std::erase(t->eog_, control("<|end|>")); // also when the file names it EOS or EOT
    for (int32_t i = 0; i < n; ++i)
      if ((t->types_[i] == token_type::control || t->types_[i] == token_type::user_defined) && !t->vocab_[i].empty())
        t->specials_.push_back(i);
    std::sort(t->specials_.begin(), t->specials_.end(),
              [&](int32_t a, int32_t b) { return t->vocab_[a].size() > t->vocab_[b].size(); });
    if (t->kind_ == kind::spm) {
      for (int32_t i = 0; i < n; ++i) // a hostile vocabulary fails here, never mid-stream
        if (t->types_[i] == token_type::byte && hex_byte(t->vocab_[i]) < 0)
          throw kernel_error("token " + std::to_string(i) + " is a byte token but its text is not <0xHH>");
      t->byte_token_.assign(256, -1);
      for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof(name), "<0x%02X>", b);
        t->byte_token_[b] = t->find(name);
      }
    } else {
      auto merges = f.get_strings("tokenizer.ggml.merges");
      for (size_t i = 0; i < merges.size(); ++i) t->merge_rank_.emplace(std::string(merges[i]), static_cast<int32_t>(i));
    }
    return t;
  });
}

int32_t tokenizer::find(std::string_view s) const {
  auto i = ids_.find(std::string(s));
  return i == ids_.end() ? -1 : i->second;
}

bool tokenizer::is_eog(int32_t id) const {
  return std::find(eog_.begin(), eog_.end(), id) != eog_.end();
}

std::vector<int32_t> tokenizer::encode(std::string_view text, bool add_bos, bool parse_special,
                                       const std::atomic<bool>* cancel) const {
  std::vector<int32_t> out;
  if (add_bos && bos_ >= 0) out.push_back(bos_);
  bool leading = true; // SPM adds its space prefix to the first text fragment only
  auto plain = [&](std::string_view s) {
    if (s.empty() || (cancel && cancel->load(std::memory_order_relaxed))) return;
    auto body = kind_ == kind::spm ? encode_spm(s, leading) : encode_bpe(s, cancel);
    out.insert(out.end(), body.begin(), body.end());
    leading = false;
  };
  if (!parse_special) {
    plain(text);
    return out;
  }
  size_t start = 0;
  for (size_t i = 0; i < text.size();) {
    int32_t hit = -1;
    if (text[i] == '<' || text[i] == '[')
      for (int32_t id : specials_)
        if (text.compare(i, vocab_[id].size(), vocab_[id]) == 0) {
          hit = id;
          break;
        }
    if (hit < 0) {
      ++i;
      continue;
    }
    plain(text.substr(start, i - start));
    out.push_back(hit);
    leading = false;
    i += vocab_[hit].size();
    start = i;
  }
  plain(text.substr(start));
  return out;
}

// -- SentencePiece: merge the best-scoring adjacent pair until none is in the vocabulary --

std::vector<int32_t> tokenizer::encode_spm(std::string_view raw, bool leading) const {
  std::vector<int32_t> out;
  if (raw.empty()) return out;
  std::string text;
  if (add_space_prefix_ && leading) text += space_marker;
  for (char c : raw) {
    if (c == ' ')
      text += space_marker;
    else
      text += c;
  }
  struct symbol {
    int prev, next;
    size_t start, len;
  };
  std::vector<symbol> sym;
  for (size_t i = 0; i < text.size();) {
    size_t len = std::min(utf8_len(static_cast<unsigned char>(text[i])), text.size() - i);
    int idx = static_cast<int>(sym.size());
    sym.push_back({idx - 1, idx + 1, i, len});
    i += len;
  }
  sym.back().next = -1;
  struct bigram {
    float score;
    int left;
    size_t len;
    bool operator<(const bigram& o) const { return score < o.score || (score == o.score && left > o.left); }
  };
  std::priority_queue<bigram> queue;
  auto try_pair = [&](int l) {
    if (l < 0 || sym[l].next < 0) return;
    int r = sym[l].next;
    std::string_view s(text.data() + sym[l].start, sym[l].len + sym[r].len);
    int32_t id = find(s);
    if (id >= 0) queue.push({scores_[id], l, s.size()});
  };
  for (int i = 0; i + 1 < static_cast<int>(sym.size()); ++i) try_pair(i);
  while (!queue.empty()) {
    auto b = queue.top();
    queue.pop();
    auto& l = sym[b.left];
    if (l.len == 0 || l.next < 0) continue;
    auto& r = sym[l.next];
    if (l.len + r.len != b.len) continue; // stale: one side merged since
    l.len += r.len;
    r.len = 0;
    l.next = r.next;
    if (l.next >= 0) sym[l.next].prev = b.left;
    try_pair(l.prev);
    try_pair(b.left);
  }
  for (int i = 0; i >= 0; i = sym[i].next) {
    std::string_view s(text.data() + sym[i].start, sym[i].len);
    int32_t id = find(s);
    if (id >= 0) {
      out.push_back(id);
      continue;
    }
    for (unsigned char c : s) { // byte fallback
      int32_t b = byte_token_[c];
      if (b >= 0)
        out.push_back(b);
      else if (unk_ >= 0)
        out.push_back(unk_);
    }
  }
  return out;
}

std::string tokenizer::piece(int32_t id) const {
  if (id < 0 || id >= n_vocab()) return {};
  auto type = types_[static_cast<size_t>(id)];
  const std::string& s = vocab_[static_cast<size_t>(id)];
  if (type == token_type::control && harmony_ && s.size() > 4 && s.compare(0, 2, "<|") == 0) return s; // harmony's markers
  if (type == token_type::control || type == token_type::unused) return {};
  if (kind_ == kind::spm) {
    if (type == token_type::byte) return std::string(1, static_cast<char>(hex_byte(s))); // checked at load
    std::string out;
    for (size_t i = 0; i < s.size();) {
      if (s.compare(i, 3, space_marker) == 0) {
        out += ' ';
        i += 3;
      } else {
        out += s[i++];
      }
    }
    return out;
  }
  return bpe_decode(s, type == token_type::user_defined);
}

// -- incremental detokenization ------------------------------------------------

std::string detokenizer::push(std::string_view piece) {
  pending_.append(piece);
  // Find the end of the last complete UTF-8 character.
  size_t keep = pending_.size();
  for (size_t back = 1; back <= 4 && back <= pending_.size(); ++back) {
    unsigned char c = static_cast<unsigned char>(pending_[pending_.size() - back]);
    if ((c & 0xC0) == 0x80) continue; // continuation byte
    size_t need = utf8_len(c);
    if (need > back && c >= 0xC0) keep = pending_.size() - back; // incomplete: hold back
    break;
  }
  std::string out = pending_.substr(0, keep);
  pending_.erase(0, keep);
  return out;
}

std::string detokenizer::flush() {
  std::string out = pending_.empty() ? "" : "\xEF\xBF\xBD";
  pending_.clear();
  return out;
}

} // namespace rbee::kernels
