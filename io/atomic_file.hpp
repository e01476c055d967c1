#pragma once
// Crash-safe files: write to a temp file beside the target, fsync, rename
// over it, fsync the directory. A reader sees the old or the new content,
// never a part.

#include "io/outcome.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace rbee {

/// 16 hex digits from the kernel's random source (fork-safe), for temporary names.
std::string random_suffix();

/// fsyncs a directory (after a rename into it).
bool fsync_dir(const std::string& dir);

/// Replaces `path` with `content` atomically, with the given mode.
outcome<void> write_file_atomic(const std::string& path, std::string_view content, unsigned mode = 0644);

/// Copies `from` to `path` atomically (temp + fsync + rename), with `mode`.
outcome<void> copy_file_atomic(const std::string& from, const std::string& path, unsigned mode = 0755);

/// The whole of a small file, or nullopt when it cannot be read or is over `limit` bytes.
std::optional<std::string> read_small_file(const std::string& path, size_t limit);

/// Creates `dir` (and its parents) and makes it 0700: for keys and secrets.
outcome<void> make_private_dir(const std::string& dir);

/// Points the symlink `link` at `target` atomically (new link + rename).
outcome<void> replace_symlink(const std::string& target, const std::string& link);

} // namespace rbee
