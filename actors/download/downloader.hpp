#pragma once
// The downloader: one per model_download job, under a hive. Resolves the
// model's GGUF file(s) on the Hugging Face API, fetches them into the store
// (resumable, verified, atomic) and narrates phases and progress.

#include "messages/interfaces.hpp"

#include <atomic>
#include <memory>
#include <vector>
#include <string>

namespace rbee {

struct download_options {
  std::string models_dir;
  std::string endpoint; ///< https://huggingface.co or HF_ENDPOINT
  std::string token;    ///< HF_TOKEN, may be empty
  /// A file whose size and SHA-256 are not both known is refused unless this is set;
  /// then it is downloaded (at most unverified_max_bytes) and said to be "unverified".
  bool allow_unverified = false;
};

/// The most an unverified download may be (allow_unverified_downloads).
inline constexpr uint64_t unverified_max_bytes = uint64_t{64} << 30;

/// Spawns a detached downloader; ask it `run_atom` for the job_result. Its
/// narration goes to `relay` (the hive, which hands it to every job that follows
/// this download: the one that started it and those that joined later). Setting
/// `cancel` stops it (the partial stays for a resume).
caf::actor spawn_downloader(caf::actor_system& sys, hive_actor relay, std::string model, download_options opts,
                            std::shared_ptr<std::atomic<bool>> cancel);

} // namespace rbee
