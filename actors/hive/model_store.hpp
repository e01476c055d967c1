#pragma once
// The model store of a hive: plain GGUF files under <data_dir>/models/<org>/<repo>/,
// and the resolution of the names users give (org/repo, org/repo:QUANT,
// org/repo:file.gguf, file.gguf, hf.co/ prefixes, or a path where allowed).
// Names are checked before any of them reaches the filesystem.

#include "messages/errc.hpp"
#include "messages/worker.hpp"

#include <caf/expected.hpp>

#include <string>
#include <vector>

namespace rbee {

class model_store {
public:
  explicit model_store(std::string root) : root_(std::move(root)) {}

  const std::string& root() const { return root_; }

  /// Every .gguf file in the store (org/repo/file), sorted by name, with what
  /// its GGUF header says (architecture, parameters, quantization, context).
  std::vector<model_entry> list() const;

  /// The one name every listing shows for a file: org/repo:QUANT when that name
  /// resolves to this file alone (the usual case), else org/repo:file.gguf; a
  /// file outside the store (an allowed path) is named by its path.
  std::string name_of(const std::string& path) const;

  /// What a GGUF file's header says, without loading the weights.
  static void describe(model_entry& e);

  /// The file a name stands for. Errors: errc::model_not_found (naming what is
  /// there when a choice is needed), errc::invalid_value (a malformed name),
  /// errc::forbidden (a path when paths are not allowed).
  caf::expected<std::string> resolve(const std::string& name, bool allow_paths) const;

private:
  std::string canonical(const std::string& org, const std::string& repo, const std::string& file,
                        const std::string& quant) const;
  std::string root_;
};

} // namespace rbee
