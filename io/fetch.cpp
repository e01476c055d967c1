#include "io/fetch.hpp"

#include "io/atomic_file.hpp"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <mutex>
#include <thread>

namespace rbee {

namespace {

constexpr uint64_t absurd_size = uint64_t{1} << 40; // 1 TiB

struct curl_init {
  curl_init() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

void global_init() {
  static curl_init once;
}

/// The state of one transfer attempt, seen by the curl callbacks.
struct transfer {
  int fd = -1;
  uint64_t offset = 0;      ///< bytes in the partial before this attempt
  uint64_t written = 0;     ///< bytes written by this attempt
  uint64_t expected = 0;
  long status = 0;
  bool range_ignored = false;
  bool too_big = false;
  int write_errno = 0;
  const std::atomic<bool>* cancel = nullptr;
  const std::function<void(const fetch_progress&)>* progress = nullptr;
  bool resumed = false;
  class hasher* sha = nullptr; ///< the hash of everything in the partial so far
};

std::string hex_digest(EVP_MD_CTX* ctx);

/// SHA-256 on its own thread, fed copies of the data as it arrives, so that
/// hashing overlaps receiving and writing.
class hasher {
public:
  explicit hasher(EVP_MD_CTX* ctx) : ctx_(ctx), thread_([this] { run(); }) {}
  ~hasher() {
    {
      std::lock_guard<std::mutex> g{mtx_};
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void update(const char* data, size_t len) {
    std::unique_lock<std::mutex> g{mtx_};
    room_.wait(g, [&] { return queued_ < (32u << 20); }); // bounded: at most 32 MiB waiting
    queue_.emplace_back(std::string(data, len), false);
    queued_ += len;
    cv_.notify_one();
  }
  void reset() {
    std::lock_guard<std::mutex> g{mtx_};
    queue_.emplace_back(std::string(), true);
    cv_.notify_one();
  }
  /// Waits for everything queued, then the digest.
  std::string hex() {
    std::unique_lock<std::mutex> g{mtx_};
    idle_.wait(g, [&] { return queue_.empty() && !busy_; });
    return hex_digest(ctx_);
  }

private:
  void run() {
    std::unique_lock<std::mutex> g{mtx_};
    for (;;) {
      cv_.wait(g, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      auto [chunk, reset] = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
      g.unlock();
      if (reset)
        EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr);
      else
        EVP_DigestUpdate(ctx_, chunk.data(), chunk.size());
      g.lock();
      busy_ = false;
      queued_ -= chunk.size();
      room_.notify_all();
      if (queue_.empty()) idle_.notify_all();
    }
  }
  EVP_MD_CTX* ctx_;
  std::mutex mtx_;
  std::condition_variable cv_, room_, idle_;
  std::deque<std::pair<std::string, bool>> queue_;
  size_t queued_ = 0;
  bool busy_ = false, stop_ = false;
  std::thread thread_;
};

/// SHA-256 of the first bytes of a file into a fresh context.
/// Feeds what is left of fd to ctx; false on a read error.
bool hash_rest(EVP_MD_CTX* ctx, int fd) {
  std::vector<unsigned char> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    EVP_DigestUpdate(ctx, buf.data(), static_cast<size_t>(n));
  }
}

void hash_prefix(EVP_MD_CTX* ctx, const std::string& path) {
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  hash_rest(ctx, fd);
  ::close(fd);
}

std::string hex_digest(EVP_MD_CTX* ctx) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  return to_hex(md, len);
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<transfer*>(user);
  std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) { // a new response (redirects come first)
    auto sp = line.find(' ');
    t->status = sp == std::string::npos ? 0 : std::strtol(line.c_str() + sp + 1, nullptr, 10);
  }
  return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<transfer*>(user);
  size_t len = size * n;
  if (t->status != 200 && t->status != 206) return len; // an error page: not part of the file
  if (t->written == 0 && t->offset > 0 && t->status == 200) { // the server ignored our Range: restart at 0
    if (ftruncate(t->fd, 0) != 0 || lseek(t->fd, 0, SEEK_SET) != 0) return 0;
    t->offset = 0;
    t->range_ignored = true;
    if (t->sha) t->sha->reset();
  }
  if (t->expected && t->offset + t->written + len > t->expected) {
    t->too_big = true;
    return 0;
  }
  size_t done = 0;
  while (done < len) {
    ssize_t w = ::write(t->fd, data + done, len - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      t->write_errno = w < 0 ? errno : ENOSPC;
      return 0;
    }
    done += static_cast<size_t>(w);
  }
  if (t->sha) t->sha->update(data, len); // hashed on the way, on another thread: no second read
  // Start writing back every 32 MiB, so that the final fsync has little left to do.
  uint64_t before = t->written;
  t->written += len;
  if ((before >> 25) != (t->written >> 25))
    ::sync_file_range(t->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
  return len;
}

int on_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  auto* t = static_cast<transfer*>(user);
  if (t->cancel && t->cancel->load()) return 1;
  if (t->progress && *t->progress) {
    uint64_t all = t->expected ? t->expected : (total > 0 ? t->offset + static_cast<uint64_t>(total) : 0);
    (*t->progress)(fetch_progress{t->offset + static_cast<uint64_t>(now), all, t->resumed});
  }
  return 0;
}

uint64_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

curl_slist* header_list(const std::vector<std::string>& headers) {
  curl_slist* list = nullptr;
  for (auto& h : headers) list = curl_slist_append(list, h.c_str());
  return list;
}

void common_options(CURL* c, const std::string& url, curl_slist* headers) {
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "rbee/0.1");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);   // a stalled transfer ...
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);   // ... is a network error after a minute
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
}

failure status_error(long status, const std::string& url) {
  if (status == 404) return fail_with(errc::model_not_found, "not found (HTTP 404): " + url);
  if (status == 401 || status == 403)
    return fail_with(errc::forbidden, "access denied (HTTP " + std::to_string(status) +
                                         "): the repository is gated or private; set HF_TOKEN");
  return fail_with(errc::unavailable, "HTTP " + std::to_string(status) + " from " + url);
}

} // namespace

std::string to_hex(const unsigned char* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

std::string sha256_text(std::string_view text) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx.get(), text.data(), text.size());
  return hex_digest(ctx.get());
}

std::string sha256_fd(int fd) {
  if (::lseek(fd, 0, SEEK_SET) != 0) return "";
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  return hash_rest(ctx.get(), fd) ? hex_digest(ctx.get()) : "";
}

std::string sha256_file(const std::string& path) {
  if (::access(path.c_str(), R_OK) != 0) return "";
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  hash_prefix(ctx.get(), path);
  return hex_digest(ctx.get());
}

get_result http_get(const std::string& url, const std::vector<std::string>& headers, size_t max_body) {
  global_init();
  get_result out;
  CURL* c = curl_easy_init();
  curl_slist* hl = header_list(headers);
  common_options(c, url, hl);
  struct sink {
    std::string* body;
    size_t max;
  } s{&out.body, max_body};
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, +[](char* d, size_t sz, size_t n, void* u) -> size_t {
    auto* k = static_cast<sink*>(u);
    if (k->body->size() + sz * n > k->max) return 0;
    k->body->append(d, sz * n);
    return sz * n;
  });
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK)
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out.status);
  else
    out.error = curl_easy_strerror(rc);
  curl_slist_free_all(hl);
  curl_easy_cleanup(c);
  return out;
}

std::string head_result::get(const std::string& name) const {
  for (auto& [k, v] : headers)
    if (k == name) return v;
  return "";
}

head_result http_head(const std::string& url, const std::vector<std::string>& headers) {
  global_init();
  head_result out;
  CURL* c = curl_easy_init();
  curl_slist* hl = header_list(headers);
  common_options(c, url, hl);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L); // the first answer carries X-Linked-*
  curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &out);
  curl_write_callback on_head = [](char* d, size_t sz, size_t n, void* u) -> size_t {
    auto* o = static_cast<head_result*>(u);
    std::string line(d, sz * n);
    auto colon = line.find(':');
    if (colon != std::string::npos && o->headers.size() < 200) {
      std::string k = line.substr(0, colon), v = line.substr(colon + 1);
      for (auto& ch : k) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      while (!v.empty() && (v.front() == ' ')) v.erase(0, 1);
      while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.pop_back();
      o->headers.emplace_back(k, v);
    }
    return sz * n;
  };
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_head);
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out.status);
  curl_slist_free_all(hl);
  curl_easy_cleanup(c);
  return out;
}

outcome<std::string> fetch_file(const fetch_request& r, const std::function<void(const fetch_progress&)>& progress,
                                      const std::atomic<bool>& cancel) {
  global_init();
  if (r.expected_size > absurd_size)
    return fail_with(errc::invalid_value, "refusing a file of " + std::to_string(r.expected_size) + " bytes");
  const std::string final_path = r.dir + "/" + r.file, partial = final_path + ".incomplete";
  uint64_t have = file_size(partial);
  if (r.expected_size && have > r.expected_size) { // cannot be ours: start again
    ::unlink(partial.c_str());
    have = 0;
  }
  struct statvfs vfs {};
  if (r.expected_size && ::statvfs(r.dir.c_str(), &vfs) == 0) {
    uint64_t free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
    if (free_bytes < r.expected_size - have)
      return fail_with(errc::disk_full, "not enough disk space in " + r.dir + ": " + std::to_string(r.expected_size - have) +
                                           " bytes needed, " + std::to_string(free_bytes) + " free");
  }
  // One download of a file at a time, across processes too: a lock on the partial.
  // O_NOFOLLOW: a link planted at the partial's name cannot redirect the write.
  int lock_fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (lock_fd < 0) return fail_with(errc::internal, "cannot create " + partial + ": " + std::strerror(errno));
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd);
    return fail_with(errc::unavailable, r.file + " is being downloaded by another process; try again when it is done");
  }
  struct unlock {
    int fd;
    ~unlock() { ::close(fd); } // closing releases the lock
  } held{lock_fd};
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> sha_ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  hash_prefix(sha_ctx.get(), partial); // what an earlier attempt left
  auto sha = std::make_unique<hasher>(sha_ctx.get());
  curl_slist* hl = header_list(r.headers);
  if (!r.expected_sha256.empty()) // resume only if the file is still the same
    hl = curl_slist_append(hl, ("If-Range: \"" + r.expected_sha256 + "\"").c_str());
  std::optional<failure> failed;
  bool resumed_any = have > 0;
  for (int attempt = 0;; ++attempt) {
    int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
      failed = fail_with(errc::internal, "cannot write " + partial + ": " + std::strerror(errno));
      break;
    }
    transfer t;
    t.fd = fd;
    t.offset = file_size(partial);
    t.expected = r.expected_size ? r.expected_size : r.max_size;
    t.cancel = &cancel;
    t.progress = &progress;
    t.resumed = resumed_any;
    t.sha = sha.get();
    CURL* c = curl_easy_init();
    common_options(c, r.url, hl);
    if (t.offset > 0) curl_easy_setopt(c, CURLOPT_RANGE, (std::to_string(t.offset) + "-").c_str());
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 512L * 1024); // fewer, larger writes
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (t.write_errno == ENOSPC || t.write_errno == EDQUOT) {
      failed = fail_with(errc::disk_full, "the disk is full writing " + partial + " (the partial is kept for a resume)");
      break;
    }
    if (t.write_errno) {
      failed = fail_with(errc::internal, "cannot write " + partial + ": " + std::strerror(t.write_errno));
      break;
    }
    if (cancel) {
      failed = fail_with(errc::cancelled, "download cancelled (the partial is kept for a resume)");
      break;
    }
    if (t.too_big) {
      ::unlink(partial.c_str());
      failed = fail_with(errc::invalid_value, std::string("the server sent more than the ") +
                                                  (r.expected_size ? "expected " : "allowed ") +
                                                  std::to_string(t.expected) + " bytes");
      break;
    }
    if (rc == CURLE_OK && t.status == 416 && t.offset == r.expected_size && r.expected_size) rc = CURLE_OK;
    else if (rc == CURLE_OK && t.status != 200 && t.status != 206) {
      failed = status_error(t.status, r.url);
      if (t.status < 500) break; // client errors are final
    }
    if (rc == CURLE_OK && (t.status == 200 || t.status == 206 || t.status == 416) && synced) {
      uint64_t size = file_size(partial);
      if (r.expected_size && size < r.expected_size) { // the connection ended early: resume
        failed = fail_with(errc::unavailable, "the transfer ended at " + std::to_string(size) + " of " +
                                                  std::to_string(r.expected_size) + " bytes");
      } else {
        failed.reset();
        break;
      }
    } else if (rc != CURLE_OK) {
      failed = fail_with(errc::unavailable, std::string("network error: ") + curl_easy_strerror(rc));
    }
    if (attempt >= r.max_retries) break;
    resumed_any = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(r.retry_base_ms << std::min(attempt, 6)));
  }
  curl_slist_free_all(hl);
  if (failed) return *failed;
  // Verify before the file gets its name.
  uint64_t size = file_size(partial);
  if (r.expected_size && size != r.expected_size) {
    ::unlink(partial.c_str());
    return fail_with(errc::checksum_mismatch, "size mismatch: expected " + std::to_string(r.expected_size) +
                                                 " bytes, got " + std::to_string(size));
  }
  if (!r.expected_sha256.empty()) {
    std::string actual = sha->hex();
    if (actual != r.expected_sha256) {
      ::unlink(partial.c_str());
      return fail_with(errc::checksum_mismatch,
                        "sha256 mismatch for " + r.file + ": expected " + r.expected_sha256 + ", got " + actual);
    }
  }
  if (std::rename(partial.c_str(), final_path.c_str()) != 0)
    return fail_with(errc::internal, "cannot rename " + partial + ": " + std::strerror(errno));
  fsync_dir(r.dir);
  return final_path;
}

} // namespace rbee
