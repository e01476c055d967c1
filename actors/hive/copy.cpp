// LAN copy, both ends. The hive that has a model offers one file: a source
// actor that opened it (O_NOFOLLOW, inside the store) and serves only its
// bytes, chunk by chunk. The hive that needs it pulls the chunks over the
// cluster's links on a thread of its own, into <file>.incomplete (resumed where
// an earlier copy stopped), hashes as it goes, checks size and SHA-256 against
// the offer, fsyncs and renames into place, narrating progress as a download does.
#include "actors/blocking.hpp"
#include "actors/hive/state.hpp"
#include "io/atomic_file.hpp"
#include "io/fetch.hpp"

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <openssl/evp.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace fs = std::filesystem;

namespace rbee {

namespace {

using namespace std::chrono_literals;

/// A relative store path a peer may name: org/repo/file.gguf, plain segments.
bool safe_relative(const std::string& p) {
  if (p.empty() || p.size() > 512 || p.front() == '/' || !p.ends_with(".gguf")) return false;
  size_t start = 0, segments = 0;
  while (start <= p.size()) {
    auto slash = p.find('/', start);
    std::string seg = p.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (seg.empty() || seg == "." || seg == "..") return false;
    for (char c : seg)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') return false;
    ++segments;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return segments == 3;
}

model_source_actor::behavior_type source(model_source_actor::pointer self, int fd, uint64_t size) {
  self->attach_functor([fd](const caf::error&) { ::close(fd); });
  self->set_default_handler(caf::drop);
  return {
    [=](chunk_atom, uint64_t offset, uint32_t length) -> caf::result<std::string> {
      if (offset > size) return make_error(errc::invalid_value, "offset past the end of the file");
      uint64_t n = std::min<uint64_t>({length, max_chunk_bytes, size - offset});
      std::string out(n, '\0');
      ssize_t got = ::pread(fd, out.data(), n, static_cast<off_t>(offset));
      if (got < 0) return make_error(errc::internal, std::string("cannot read the model: ") + std::strerror(errno));
      out.resize(static_cast<size_t>(got));
      return out;
    },
    caf::after(std::chrono::seconds(60)) >> [=] { self->quit(); },
  };
}

/// Pulls `offer` from `src` into the store at `root`; narrates through `say`.
caf::expected<std::string> pull(caf::actor_system& sys, const std::string& root, const model_offer& offer,
                                model_source_actor src, const std::function<void(uint64_t, uint64_t)>& progress,
                                const std::atomic<bool>& cancel) {
  std::string final_path = root + "/" + offer.relative, partial = final_path + ".incomplete";
  std::error_code ec;
  fs::create_directories(fs::path(final_path).parent_path(), ec);
  if (ec) return make_error(errc::internal, "cannot create the model's directory: " + ec.message());
  int fd = ::open(partial.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return make_error(errc::internal, "cannot write " + partial + ": " + std::strerror(errno));
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } held{fd};
  struct stat st {};
  ::fstat(fd, &st);
  uint64_t have = static_cast<uint64_t>(st.st_size);
  if (have > offer.size) {
    if (::ftruncate(fd, 0) != 0) return make_error(errc::internal, "cannot reset " + partial);
    have = 0;
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr);
  std::string buf(1 << 20, '\0');
  for (uint64_t at = 0; at < have;) { // what an earlier copy left: hashed again, not fetched again
    ssize_t n = ::pread(fd, buf.data(), std::min<uint64_t>(buf.size(), have - at), static_cast<off_t>(at));
    if (n <= 0) return make_error(errc::internal, "cannot read " + partial);
    EVP_DigestUpdate(md.get(), buf.data(), static_cast<size_t>(n));
    at += static_cast<uint64_t>(n);
  }
  caf::scoped_actor self{sys};
  for (uint64_t at = have; at < offer.size;) {
    if (cancel) return make_error(errc::cancelled, "copy cancelled (the partial is kept for a resume)");
    caf::expected<std::string> data{std::string()};
    self->request(src, 60s, chunk_atom::value, at, max_chunk_bytes)
      .receive([&](std::string& d) { data = std::move(d); }, [&](caf::error& e) { data = std::move(e); });
    if (!data) return make_error(errc::unavailable, "hive " + offer.hive_id + " stopped sending: " + message_of(data.error()));
    if (data->empty()) return make_error(errc::unavailable, "hive " + offer.hive_id + " sent nothing at " + std::to_string(at));
    if (data->size() > std::min<uint64_t>(max_chunk_bytes, offer.size - at)) {
      ::unlink(partial.c_str());
      return make_error(errc::checksum_mismatch, "hive " + offer.hive_id + " sent more than was asked for");
    }
    if (::pwrite(fd, data->data(), data->size(), static_cast<off_t>(at)) != static_cast<ssize_t>(data->size()))
      return make_error(errno == ENOSPC ? errc::disk_full : errc::internal,
                        "cannot write " + partial + ": " + std::strerror(errno));
    EVP_DigestUpdate(md.get(), data->data(), data->size());
    at += data->size();
    progress(at, offer.size);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(md.get(), digest, &len);
  if (to_hex(digest, len) != offer.sha256) {
    ::unlink(partial.c_str());
    return make_error(errc::checksum_mismatch, "the copy's SHA-256 " + to_hex(digest, len) + " is not the offered " + offer.sha256);
  }
  if (::fsync(fd) != 0 || ::rename(partial.c_str(), final_path.c_str()) != 0)
    return make_error(errc::internal, "cannot move " + partial + " into place: " + std::strerror(errno));
  fsync_dir(fs::path(final_path).parent_path().string());
  return final_path;
}

} // namespace

caf::result<model_offer, model_source_actor> hive_offer(hive_ptr self, const std::string& model) {
  auto path = self->state.store->resolve(model, false);
  if (!path) return std::move(path.error());
  std::string root = fs::weakly_canonical(self->state.store->root()).string();
  std::string real = fs::weakly_canonical(*path).string();
  if (!real.starts_with(root + "/")) return make_error(errc::forbidden, "the model is not inside this hive's store");
  model_offer o;
  o.model = model;
  o.relative = real.substr(root.size() + 1);
  o.hive_id = self->state.opts.hive_id;
  if (!safe_relative(o.relative)) return make_error(errc::invalid_value, "cannot offer " + o.relative);
  int fd = ::open(real.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return make_error(errc::model_not_found, "cannot open " + o.relative);
  struct stat st {};
  ::fstat(fd, &st);
  o.size = static_cast<uint64_t>(st.st_size);
  o.sha256 = sha256_fd(fd); // a few seconds for GBs: worth it, the copy is checked against it
  if (o.sha256.empty()) {
    ::close(fd);
    return make_error(errc::internal, "cannot read " + o.relative);
  }
  // Linked: it ends with the hive (a shutdown never waits for its idle minute).
  return {std::move(o), self->spawn<caf::linked>(source, fd, static_cast<uint64_t>(st.st_size))};
}

caf::result<job_result> hive_copy(hive_ptr self, const job_ctx& ctx, const model_offer& offer, model_source_actor src) {
  if (!safe_relative(offer.relative) || offer.sha256.size() != 64 || !src)
    return make_error(errc::invalid_value, "not a copyable model offer");
  auto& st = self->state;
  if (auto have = st.store->resolve(offer.model, false)) {
    hive_say(self, ctx, "copy", offer.model + " is already in this hive's store");
    return job_result{download_result{offer.model, {*have}, 0}};
  }
  hive_say(self, ctx, "copy",
           "copying " + offer.relative + " (" + std::to_string(offer.size >> 20) + " MiB) from hive " + offer.hive_id +
             " over the cluster link instead of downloading it");
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  std::erase_if(*st.stop_flags, [](const auto& w) { return w.expired(); });
  st.stop_flags->push_back(cancel);
  st.copies[ctx.job_id] = cancel;
  std::string root = st.store->root();
  bridge_actor bridge = ctx.bridge;
  std::string job = ctx.job_id, hive = st.opts.hive_id;
  auto w = spawn_blocking<job_result>(self->system(), [=](caf::event_based_actor* b) -> caf::expected<job_result> {
    auto t0 = std::chrono::steady_clock::now();
    auto last = t0;
    auto progress = [&](uint64_t done, uint64_t total) {
      auto now = std::chrono::steady_clock::now();
      if (now - last < 500ms && done < total) return;
      last = now;
      double s = std::chrono::duration<double>(now - t0).count();
      auto n = narrate(job, "hive", "copy", offer.model, "copied " + std::to_string(done >> 20) + " of " +
                                                           std::to_string(total >> 20) + " MiB from " + offer.hive_id);
      n.kind = event_kind::progress;
      n.fields = {num_field("bytes_done", static_cast<int64_t>(done)), num_field("bytes_total", static_cast<int64_t>(total)),
                  num_field("rate_bps", s > 0 ? static_cast<int64_t>(static_cast<double>(done) / s) : 0)};
      if (bridge) caf::anon_send(bridge, std::move(n));
    };
    auto path = pull(b->system(), root, offer, src, progress, *cancel);
    if (!path) return std::move(path.error());
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (bridge)
      caf::anon_send(bridge, narrate(job, "hive", "copy", offer.model,
                                     "copied " + offer.relative + " from hive " + offer.hive_id + ", SHA-256 verified (" +
                                       std::to_string(static_cast<uint64_t>(static_cast<double>(offer.size) / (s > 0 ? s : 1) / 1e6)) +
                                       " MB/s)"));
    return job_result{download_result{offer.model, {*path}, offer.size}};
  });
  auto rp = self->make_response_promise<job_result>();
  self->request(w, std::chrono::seconds(7 * 24 * 3600), run_atom::value)
    .then(
      [=](job_result& r) mutable {
        self->state.copies.erase(job);
        rp.deliver(std::move(r));
      },
      [=](caf::error& e) mutable {
        self->state.copies.erase(job);
        rp.deliver(std::move(e));
      });
  return rp;
}

bool hive_cancel_copy(hive_ptr self, const std::string& job_id) {
  auto it = self->state.copies.find(job_id);
  if (it == self->state.copies.end()) return false;
  *it->second = true;
  return true;
}

} // namespace rbee
