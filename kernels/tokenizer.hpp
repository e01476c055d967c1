#pragma once
// Tokenizers from GGUF metadata: SentencePiece-style (`llama`: scores, byte
// fallback) and GPT-2-style byte-level BPE (`gpt2`: merges, pre-tokenizer).

#include "kernels/gguf.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace rbee::kernels {

class tokenizer {
public:
  enum class kind { spm, bpe };
  enum class token_type : int32_t { normal = 1, unknown = 2, control = 3, user_defined = 4, unused = 5, byte = 6 };

  static result<std::shared_ptr<tokenizer>> from_gguf(const gguf_file& f);

  /// Token ids of `text` (taken verbatim), with BOS first when `add_bos`.
  /// With `parse_special`, the texts of control tokens ("<|im_start|>") in
  /// `text` become those tokens (for chat templates); otherwise plain text.
  /// Near-linear in the text (O(n log n) in the longest pre-token). When `cancel`
  /// turns true it stops early, returning a partial result the caller discards.
  std::vector<int32_t> encode(std::string_view text, bool add_bos, bool parse_special = false,
                              const std::atomic<bool>* cancel = nullptr) const;

  /// The longest token text in bytes: a text of n bytes has at least
  /// n / max_token_bytes() tokens, so a prompt can be refused as too long for a
  /// context before it is tokenized.
  size_t max_token_bytes() const { return max_token_bytes_; }

  /// The bytes a token stands for (control tokens: nothing, unless the vocabulary is
  /// OpenAI's harmony format, whose control tokens mark an answer's channels and are kept
  /// for the API to read). Bytes of a multi-byte character may be split across tokens:
  /// see detokenizer.
  std::string piece(int32_t id) const;
  /// gpt-oss's harmony format (<|start|>, <|channel|>, <|message|>, <|end|>, <|return|>).
  bool harmony() const { return harmony_; }

  /// The token's text as stored in the vocabulary ("<s>", "▁the").
  std::string_view text(int32_t id) const { return vocab_[static_cast<size_t>(id)]; }

  int32_t n_vocab() const { return static_cast<int32_t>(vocab_.size()); }
  int32_t bos() const { return bos_; }
  int32_t eos() const { return eos_; }
  bool add_bos() const { return add_bos_; }
  /// True for end-of-generation tokens (EOS, EOT, <|im_end|>, <|eot_id|>...).
  bool is_eog(int32_t id) const;
  kind type() const { return kind_; }
  std::string_view pre() const { return pre_; }

private:
  tokenizer() = default;
  std::vector<int32_t> encode_spm(std::string_view text, bool leading) const;
  std::vector<int32_t> encode_bpe(std::string_view text, const std::atomic<bool>* cancel) const;
  void bpe_word(std::string_view word, std::vector<int32_t>& out) const;
  std::string bpe_decode(const std::string& s, bool raw) const;
  const char* pre_pattern() const;
  int32_t find(std::string_view s) const;

  kind kind_ = kind::spm;
  std::string pre_;
  std::vector<std::string> vocab_;
  std::vector<float> scores_;
  std::vector<token_type> types_;
  std::unordered_map<std::string, int32_t> ids_;
  std::unordered_map<std::string, int32_t> merge_rank_; ///< "a b" -> rank (bpe)
  std::vector<int32_t> byte_token_;                      ///< spm: <0xNN> ids, -1 if absent
  std::vector<int32_t> eog_;
  std::vector<int32_t> specials_; ///< control and user-defined tokens, longest text first
  int32_t bos_ = -1, eos_ = -1, unk_ = -1;
  bool add_bos_ = true;
  bool harmony_ = false;
  bool add_space_prefix_ = true;
  size_t max_token_bytes_ = 1;
};

/// GPT-2's byte-level alphabet: byte b as a printable code point, UTF-8 encoded.
const std::vector<std::string>& byte_level_chars();

/// Turns a stream of token pieces into text, holding back an incomplete UTF-8
/// character until the token that completes it arrives.
class detokenizer {
public:
  /// Adds a piece; returns the text that is complete now.
  std::string push(std::string_view piece);
  /// What is held back (an invalid tail comes out as U+FFFD).
  std::string flush();

private:
  std::string pending_;
};

} // namespace rbee::kernels
