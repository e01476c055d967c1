#pragma once
// Copying a model between hives over the cluster's links (LAN copy): the hive
// that has it offers one file through a source actor that serves only that
// file's bytes; the hive that needs it pulls chunks, hashes, renames into place.

#include <caf/meta/type_name.hpp>
#include <caf/typed_actor.hpp>
#include <caf/atom.hpp>
#include <caf/replies_to.hpp>

#include <cstdint>
#include <string>

namespace rbee {

using offer_atom = caf::atom_constant<caf::atom("offer")>;
using chunk_atom = caf::atom_constant<caf::atom("chunk")>;
using copy_atom = caf::atom_constant<caf::atom("copy")>;

/// One model file a hive offers: its place in the store, size and SHA-256.
struct model_offer {
  std::string model;     ///< the name it was asked for
  std::string relative;  ///< org/repo/file.gguf inside the store
  uint64_t size = 0;
  std::string sha256;    ///< lower-case hex
  std::string hive_id;   ///< who offers it
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, model_offer& x) {
  return f(caf::meta::type_name("rbee_model_offer"), x.model, x.relative, x.size, x.sha256, x.hive_id);
}

/// The largest chunk a source answers (the copier asks for this much at a time).
inline constexpr uint32_t max_chunk_bytes = 4u << 20;

/// Serves the bytes of one offered file: chunk(offset, length) → those bytes
/// (shorter only at the end). Ends when idle for a minute.
using model_source_actor = caf::typed_actor<caf::replies_to<chunk_atom, uint64_t, uint32_t>::with<std::string>>;

} // namespace rbee
