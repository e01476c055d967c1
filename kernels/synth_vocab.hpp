#pragma once
// The vocabularies of synthetic models (kernels/synth.cpp). Private to kernels/.

#include "kernels/gguf_writer.hpp"

#include <string>
#include <vector>

namespace rbee::kernels {

/// A SentencePiece vocabulary of `n_vocab` pieces (tokenizer.ggml.model "llama"), its last ones
/// `specials` (control tokens; the first of them is then EOS).
void add_spm_vocab(gguf_writer& w, int n_vocab, const std::vector<std::string>& specials = {});
/// A byte-level BPE vocabulary with merges (tokenizer.ggml.model "gpt2") and the special
/// tokens of the family `pre` names: "qwen2", "gpt-4o" (Phi-4), "harmony" (gpt-oss's, with
/// pre-tokenizer gpt-4o), else Llama 3's.
void add_bpe_vocab(gguf_writer& w, const std::string& pre, int n_vocab);

} // namespace rbee::kernels
