#pragma once
// The Hugging Face API as rbee uses it: a repo's files with sizes and LFS
// sha256 (GET {endpoint}/api/models/{repo}/tree/main), the choice of GGUF
// file(s) for a model reference, and the download URL of a file.

#include "messages/errc.hpp"

#include <caf/expected.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace rbee {

struct hf_file {
  std::string path;
  uint64_t size = 0;
  std::string sha256; ///< lower-case hex, empty when the API gave none
};

/// "org/repo[:QUANT|:file.gguf]" (with an optional hf.co/ prefix).
struct hf_ref {
  std::string org, repo, selector;
  std::string id() const { return org + "/" + repo; }
};

caf::expected<hf_ref> parse_hf_ref(const std::string& model);

/// A file name safe to put in the store: no directories, no "..", no control
/// characters, ends with .gguf, at most 255 bytes.
bool safe_gguf_name(const std::string& name);

/// The repo's files. Errors: model_not_found (404), forbidden (401/403, gated
/// or private), unavailable (network), bad_request (a malformed answer).
caf::expected<std::vector<hf_file>> hf_tree(const std::string& endpoint, const std::string& repo,
                                            const std::string& token);

/// The GGUF file(s) for a selector: a file name, a quantization (Q4_K_M, ...),
/// or none (Q4_K_M, else the closest available). Split GGUFs give all parts.
/// Error: model_not_found listing what the repo has.
caf::expected<std::vector<hf_file>> choose_gguf(const std::vector<hf_file>& files, const std::string& selector,
                                                const std::string& repo);

/// The quantization a GGUF file name carries (Q4_K_M, Q8_0, F16, ...), "" if none.
std::string quantization_of(const std::string& file);

std::string hf_file_url(const std::string& endpoint, const std::string& repo, const std::string& file);

} // namespace rbee
