#pragma once
// Crash-safe files: write to a temp file beside the target, fsync, rename
// over it, fsync the directory. A reader sees the old or the new content,
// never a part.

#include "io/outcome.hpp"

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

/// Points the symlink `link` at `target` atomically (new link + rename).
outcome<void> replace_symlink(const std::string& target, const std::string& link);

} // namespace rbee
