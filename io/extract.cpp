#include "io/extract.hpp"

#include "io/outcome.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rbee {

namespace {

using reader_ptr = std::unique_ptr<archive, decltype(&archive_read_free)>;

/// Lexically normalised components of a relative path, or false when it is
/// absolute or climbs above its start.
bool normalise(const std::string& path, std::vector<std::string>& parts) {
  if (path.empty() || path[0] == '/') return false;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string c = path.substr(i, j - i);
    if (c == "..") {
      if (parts.empty()) return false;
      parts.pop_back();
    } else if (!c.empty() && c != ".") {
      parts.push_back(std::move(c));
    }
    i = j + 1;
  }
  return true;
}

bool has_dotdot(const std::string& path) {
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (path.compare(i, j - i, "..") == 0 && j - i == 2) return true;
    i = j + 1;
  }
  return false;
}

std::string quoted(const std::string& s) {
  std::string q(1, '\'');
  q.append(s, 0, std::min<size_t>(s.size(), 200));
  q += '\'';
  return q;
}

std::optional<failure> check_entry(archive_entry* e, const std::string& path) {
  if (path.empty()) return fail_with(errc::bad_request, "archive entry with an empty name");
  if (path[0] == '/') return fail_with(errc::bad_request, "archive entry " + quoted(path) + " has an absolute path");
  if (has_dotdot(path)) return fail_with(errc::bad_request, "archive entry " + quoted(path) + " contains '..'");
  if (const char* hl = archive_entry_hardlink(e)) {
    std::vector<std::string> parts;
    if (!normalise(hl, parts) || has_dotdot(hl))
      return fail_with(errc::bad_request, "hard link " + quoted(path) + " points outside the tree");
    return {};
  }
  switch (archive_entry_filetype(e)) {
    case AE_IFREG:
    case AE_IFDIR:
      return {};
    case AE_IFLNK: {
      const char* target = archive_entry_symlink(e);
      std::string t = target ? target : "";
      // Resolve the target from the link's own directory, without the filesystem.
      std::vector<std::string> parts;
      bool ok = normalise(path, parts);
      if (ok && !parts.empty()) parts.pop_back();
      ok = ok && !t.empty() && t[0] != '/';
      if (ok) {
        std::string joined;
        for (auto& p : parts) joined += p + "/";
        std::vector<std::string> resolved;
        ok = normalise(joined + t, resolved);
      }
      if (!ok) return fail_with(errc::bad_request, "symlink " + quoted(path) + " -> " + quoted(t) + " leaves the tree");
      return {};
    }
    default:
      return fail_with(errc::bad_request, "archive entry " + quoted(path) + " is a device, FIFO or socket");
  }
}

/// An owned file descriptor.
class fd {
public:
  explicit fd(int f = -1) : f_(f) {}
  fd(fd&& o) noexcept : f_(std::exchange(o.f_, -1)) {}
  fd& operator=(fd&& o) noexcept {
    std::swap(f_, o.f_);
    return *this;
  }
  ~fd() {
    if (f_ >= 0) ::close(f_);
  }
  int get() const { return f_; }

private:
  int f_;
};

/// Walks `path`'s directories from `root` without following any symlink
/// (O_NOFOLLOW at each step), creating missing ones when asked; `leaf` gets
/// the last component. Nothing reachable through a link is ever written.
/// On failure the fd is -1 and `leaf` says why.
fd open_parent(int root, const std::string& path, bool create, std::string& leaf) {
  std::vector<std::string> parts;
  if (!normalise(path, parts)) {
    leaf = "path leaves the tree";
    return fd();
  }
  leaf = parts.empty() ? "" : parts.back();
  fd cur(::dup(root));
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    const char* c = parts[i].c_str();
    if (create && ::mkdirat(cur.get(), c, 0755) != 0 && errno != EEXIST) {
      leaf = std::strerror(errno);
      return fd();
    }
    fd next(::openat(cur.get(), c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (next.get() < 0) {
      leaf = errno == ELOOP || errno == ENOTDIR ? "a parent directory is a symlink or a file" : std::strerror(errno);
      return fd();
    }
    cur = std::move(next);
  }
  return cur;
}

bool write_at(int f, const char* p, size_t n, int64_t off) {
  while (n > 0) {
    ssize_t w = ::pwrite(f, p, n, off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
    off += w;
  }
  return true;
}

} // namespace

bool is_archive_name(const std::string& n) {
  for (const char* ext : {".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".tar.zst", ".zip"}) {
    std::string e(ext);
    if (n.size() > e.size() && n.compare(n.size() - e.size(), e.size(), e) == 0) return true;
  }
  return false;
}

outcome<extract_result> extract_archive(const std::string& file, const std::string& dest, extract_limits limits) {
  reader_ptr in(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(in.get());
  archive_read_support_format_all(in.get());
  if (archive_read_open_filename(in.get(), file.c_str(), 1 << 16) != ARCHIVE_OK)
    return fail_with(errc::bad_request, "cannot read archive " + quoted(file) + ": " + archive_error_string(in.get()));
  fd root(::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0) return fail_with(errc::internal, "cannot open " + quoted(dest) + ": " + std::strerror(errno));
  extract_result r;
  for (;;) {
    archive_entry* e = nullptr;
    int rc = archive_read_next_header(in.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN)
      return fail_with(errc::bad_request, "corrupt archive " + quoted(file) + ": " + archive_error_string(in.get()));
    const char* p = archive_entry_pathname(e);
    std::string path = p ? p : "";
    if (auto err = check_entry(e, path)) return *err;
    if (r.files + r.dirs + r.links >= limits.max_entries)
      return fail_with(errc::payload_too_large, "archive has more than " + std::to_string(limits.max_entries) + " entries");
    auto type = archive_entry_filetype(e);
    const char* hardlink = archive_entry_hardlink(e);
    bool reg = type == AE_IFREG && !hardlink;
    ++(reg ? r.files : type == AE_IFDIR ? r.dirs : r.links);
    // No setuid/setgid/sticky bits; the owner can always read and write.
    mode_t perm = (archive_entry_perm(e) & 0755) | (type == AE_IFDIR ? 0700 : 0600);
    std::string name;
    auto parent = open_parent(root.get(), path, true, name);
    if (parent.get() < 0) return fail_with(errc::bad_request, "cannot extract " + quoted(path) + ": " + name);
    if (name.empty()) continue; // "./" itself
    int dir = parent.get();
    if (type == AE_IFDIR && !hardlink) {
      if (::mkdirat(dir, name.c_str(), perm) != 0 && errno != EEXIST)
        return fail_with(errc::internal, "cannot create " + quoted(path) + ": " + std::strerror(errno));
      struct stat st {};
      if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))
        return fail_with(errc::bad_request, "archive entry " + quoted(path) + " replaces a non-directory");
      continue;
    }
    ::unlinkat(dir, name.c_str(), 0); // a later entry replaces an earlier one, as tar does
    if (hardlink) {
      std::string tname;
      auto tparent = open_parent(root.get(), hardlink, false, tname);
      if (tparent.get() < 0 || ::linkat(tparent.get(), tname.c_str(), dir, name.c_str(), 0) != 0)
        return fail_with(errc::bad_request, "cannot hard-link " + quoted(path) + " to " + quoted(hardlink));
      continue;
    }
    if (type == AE_IFLNK) {
      if (::symlinkat(archive_entry_symlink(e), dir, name.c_str()) != 0)
        return fail_with(errc::internal, "cannot create symlink " + quoted(path) + ": " + std::strerror(errno));
      continue;
    }
    fd out(::openat(dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, perm));
    if (out.get() < 0) return fail_with(errc::internal, "cannot create " + quoted(path) + ": " + std::strerror(errno));
    ::fchmod(out.get(), perm); // past the umask
    const void* buf;
    size_t size;
    la_int64_t offset;
    while ((rc = archive_read_data_block(in.get(), &buf, &size, &offset)) == ARCHIVE_OK) {
      r.bytes += size;
      if (r.bytes > limits.max_total_bytes)
        return fail_with(errc::payload_too_large,
                          "archive expands past " + std::to_string(limits.max_total_bytes >> 20) + " MiB");
      if (!write_at(out.get(), static_cast<const char*>(buf), size, offset))
        return fail_with(errc::internal, "cannot write " + quoted(path) + ": " + std::strerror(errno));
    }
    if (rc != ARCHIVE_EOF)
      return fail_with(errc::bad_request, "corrupt data for " + quoted(path) + ": " + archive_error_string(in.get()));
    if (::ftruncate(out.get(), archive_entry_size(e)) != 0) // sparse tails
      return fail_with(errc::internal, "cannot size " + quoted(path) + ": " + std::strerror(errno));
  }
  return r;
}

} // namespace rbee
