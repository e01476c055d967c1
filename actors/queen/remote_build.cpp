// `rbee hive install` where this rbee's binary cannot run on the host (another
// architecture, other libraries) or when asked (--build source): this rbee's
// reproducible source tarball goes over the ssh connection (the host needs no
// internet), SHA-256 checked there, and is built with cmake; every line cmake,
// ninja and the compiler print becomes the job's narration as it is printed.
// The host's ccache (when it has one) keeps a second build short: the build
// happens at the same relative paths each time and rbee's CMakeLists hashes
// paths relative to the source tree.
#include "actors/queen/remote_job.hpp"

#include "io/child.hpp"
#include "io/fetch.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

namespace rbee {

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

struct source {
  std::string path;
  bool made = false; ///< ours to delete once shipped
};

/// The tarball to ship: the source_tarball setting; else one made now from the
/// checkout this rbee was built in (build/ beside scripts/); else the one an
/// installed package carries (<prefix>/share/rbee/rbee-src.tar.gz).
caf::expected<source> find_source(remote_job& j) {
  if (!j.o.source_tarball.empty()) {
    if (::access(j.o.source_tarball.c_str(), R_OK) != 0)
      return make_error(errc::not_found, "source_tarball '" + j.o.source_tarball + "' cannot be read");
    return source{j.o.source_tarball, false};
  }
  std::error_code ec;
  fs::path exe = j.o.rbee_binary.empty() ? fs::read_symlink("/proc/self/exe", ec) : fs::path(j.o.rbee_binary);
  fs::path dir = exe.parent_path();
  for (fs::path root : {dir.parent_path(), dir.parent_path().parent_path()}) {
    fs::path script = root / "scripts" / "make-source-tarball.sh";
    if (root.empty() || !fs::is_regular_file(script, ec) || !fs::is_regular_file(root / "CMakeLists.txt", ec)) continue;
    std::string out = j.o.cache_dir + "/source/" + j.job_id + ".tar.gz";
    child_options co;
    co.env = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + j.o.cache_dir, "LC_ALL=C"};
    co.timeout = 120s;
    auto r = run_child({find_system_program("bash"), script.string(), out}, co, {}, j.cancel());
    if (!r || r->exit_code != 0)
      return make_error(errc::internal, "cannot make the source tarball of " + root.string() + ": " +
                                          (!r ? r.error().message : r->tail.empty() ? "exit " + std::to_string(r->exit_code) : r->tail.back()));
    j.say("source", "made rbee's source tarball from the checkout in " + root.string());
    return source{out, true};
  }
  fs::path packaged = dir.parent_path() / "share" / "rbee" / "rbee-src.tar.gz";
  if (fs::is_regular_file(packaged, ec)) return source{packaged.string(), false};
  return make_error(errc::not_found, "no source of this rbee to build from: set source_tarball to one made by "
                                     "scripts/make-source-tarball.sh of rbee's checkout");
}

caf::expected<job_result> ship_source(remote_job& j, const std::string& path) {
  std::string hash = sha256_file(path);
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || hash.empty()) {
    if (fd >= 0) ::close(fd);
    return make_error(errc::internal, "cannot read the source tarball " + path);
  }
  j.say("source", "copying rbee's source (" + std::to_string(size >> 10) + " KiB, sha256 " + hash.substr(0, 16) + "…) to " +
                    j.op.host + " over the ssh connection");
  child_options co;
  co.stdin_fd = fd;
  co.keep_stdout_bytes = 256;
  auto r = j.must("source", std::string(remote_dirs) + "mkdir -p \"$B\" && cat > \"$B/rbee-src.tar.gz\" && sha256sum \"$B/rbee-src.tar.gz\"",
                  co, 600s, true);
  ::close(fd);
  if (!r) return std::move(r.error());
  if (r->run.stdout_text.substr(0, 64) != hash)
    return make_error(errc::checksum_mismatch, "the source on " + j.op.host + " does not have the SHA-256 of what was sent");
  return job_result{};
}

} // namespace

caf::expected<job_result> build_from_source(remote_job& j, const host_facts& f) {
  if (f.disk_kb < 2 * 1024 * 1024)
    return make_error(errc::platform_unsupported, j.op.host + " has " + std::to_string(f.disk_kb >> 10) +
                                                    " MiB free in its home; building rbee needs 2 GiB");
  auto src = find_source(j);
  if (!src) return std::move(src.error());
  auto shipped = ship_source(j, src->path);
  if (src->made) ::unlink(src->path.c_str());
  if (!shipped) return shipped;
  // A fresh tree each time (new mtimes: nothing stale is reused) at the same
  // paths, so the host's compiler cache hits for what has not changed.
  std::string jobs = std::to_string(f.cpus);
  std::string cmd = std::string(remote_dirs) +
                    "cd \"$B\" && rm -rf src && mkdir src && tar -xzf rbee-src.tar.gz --strip-components=1 --touch -C src && "
                    "cd src && G=; if command -v ninja >/dev/null 2>&1; then G='-G Ninja'; fi; "
                    "cmake -S . -B build $G -DCMAKE_BUILD_TYPE=Release -DRBEE_BUILD_TESTS=OFF -DRBEE_BUILD_BENCH=OFF && "
                    "cmake --build build --target rbee --parallel " + jobs + " && mkdir -p \"$D\" && cp build/rbee \"$D/rbee.new\"";
  j.say("build", "building rbee on " + j.op.host + " with " + jobs + " jobs" +
                   (f.ccache.empty() ? " (no ccache there: every file compiles)" : " (its ccache keeps what did not change)"));
  auto t0 = std::chrono::steady_clock::now();
  auto built = j.must("build", cmd, {}, std::chrono::seconds(j.o.build_timeout_s));
  if (!built) {
    if (code_of(built.error()) != errc::internal) return std::move(built.error());
    return make_error(errc::internal, message_of(built.error()) +
                                        " (the build's lines are above; a missing library is installed on that host by "
                                        "scripts/deps.sh of rbee's source)");
  }
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - t0).count();
  j.say("build", "built rbee on " + j.op.host + " in " + std::to_string(secs) + " s");
  return activate_binary(j, "built there from source in " + std::to_string(secs) + " s");
}

} // namespace rbee
