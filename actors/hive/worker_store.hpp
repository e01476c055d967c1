#pragma once
// Installed workers on disk: $XDG_DATA_HOME/rbee/workers/<id>/<version>/
// holds the binary and worker.json (version, backend, sha256); <id>/current
// is a symlink switched atomically. Every step is staged, fsynced and
// renamed, so a kill at any moment leaves the previous version runnable.
// capabilities.json beside workers/ lists what is installed.

#include "messages/results.hpp" // installed_worker

#include <caf/expected.hpp>

#include <string>
#include <utility>
#include <vector>

namespace rbee {


/// An installed worker's binary, open; the descriptor closes with it.
struct verified_binary {
  installed_worker worker;
  int fd = -1;
  verified_binary() = default;
  verified_binary(installed_worker w, int f) : worker(std::move(w)), fd(f) {}
  verified_binary(verified_binary&& o) noexcept : worker(std::move(o.worker)), fd(std::exchange(o.fd, -1)) {}
  verified_binary& operator=(verified_binary&& o) noexcept;
  verified_binary(const verified_binary&) = delete;
  ~verified_binary();
};

class worker_store {
public:
  /// `data_dir` is $XDG_DATA_HOME/rbee: workers live in data_dir/workers.
  explicit worker_store(std::string data_dir);

  /// Installs `built` (a file from package()) as `id` `version`, switches
  /// `current` to it and rewrites capabilities.json.
  caf::expected<installed_worker> install(const std::string& id, const std::string& version, const std::string& backend,
                                          const std::string& built);

  /// The current version of `id`, its binary verified against its sha256.
  /// errc::not_found when not installed; errc::checksum_mismatch when altered.
  caf::expected<installed_worker> get(const std::string& id) const;

  /// The same, and the binary open (O_NOFOLLOW): the file whose hash was checked,
  /// to execute by descriptor (never by path after the check).
  caf::expected<verified_binary> open_verified(const std::string& id) const;

  /// Every installed worker's current version (unverified, for listings).
  std::vector<installed_worker> list() const;

  /// Removes every version of `id`; errc::not_found when not installed.
  caf::expected<void> remove(const std::string& id);

  std::string capabilities_path() const { return data_dir_ + "/capabilities.json"; }

private:
  caf::expected<void> write_capabilities() const;
  caf::expected<installed_worker> read(const std::string& id) const;

  std::string data_dir_;
  std::string root_;
};


/// Worker ids and versions become path components: [a-z0-9][a-z0-9._+-]* (ids)
/// and [A-Za-z0-9][A-Za-z0-9._+~]* (versions), at most 128 characters.
bool valid_worker_id(const std::string& id);
bool valid_worker_version(const std::string& version);

} // namespace rbee
