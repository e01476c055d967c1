#include "net/identity.hpp"

#include "io/fetch.hpp"
#include "net/http_client.hpp"

#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rbee::net {

namespace {

std::string random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) return "";
  return to_hex(reinterpret_cast<const unsigned char*>(raw.data()), bytes);
}

/// Ours and private: owned by this user, no access for group or others.
bool private_to_us(const struct stat& st) { return st.st_uid == ::getuid() && (st.st_mode & 077) == 0; }

} // namespace

std::string identity_path() {
  if (const char* r = std::getenv("XDG_RUNTIME_DIR"); r && *r == '/') return std::string(r) + "/rbee/identity";
  std::string state;
  if (const char* s = std::getenv("XDG_STATE_HOME"); s && *s == '/')
    state = s;
  else if (const char* h = std::getenv("HOME"); h && *h == '/')
    state = std::string(h) + "/.local/state";
  else
    state = "/tmp";
  return state + "/rbee/identity";
}

std::optional<std::string> load_identity(std::string* why) {
  auto fail = [&](std::string w) -> std::optional<std::string> {
    if (why) *why = std::move(w);
    return std::nullopt;
  };
  std::string path = identity_path(), dir = path.substr(0, path.rfind('/'));
  std::error_code ec; // a fresh account may have no ~/.local/state yet
  std::filesystem::create_directories(std::filesystem::path(dir).parent_path(), ec);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return fail("cannot make " + dir + ": " + std::strerror(errno));
  // The directory may be shared with rbee's logs (0755), but no one else may write in it
  // (or they could swap the file).
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::getuid() || (st.st_mode & 022))
    return fail(dir + " must be a directory of this user that no one else can write to");
  for (int attempt = 0; attempt < 2; ++attempt) {
    int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      char buf[129] = {};
      ssize_t n = ::read(fd, buf, 128);
      bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && private_to_us(st);
      ::close(fd);
      std::string secret(buf, n > 0 ? static_cast<size_t>(n) : 0);
      while (!secret.empty() && secret.back() == '\n') secret.pop_back();
      if (!ok) return fail(path + " must be a file of this user with mode 0600");
      if (secret.size() < 32) return fail(path + " is too short to be an identity");
      return secret;
    }
    if (errno != ENOENT) return fail("cannot read " + path + ": " + std::strerror(errno));
    // Made once, by whichever rbee needs it first; O_EXCL: a racing one reads ours.
    std::string secret = random_hex(32);
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) continue;
    if (fd < 0 || secret.empty()) return fail("cannot make " + path + ": " + std::strerror(errno));
    bool written = ::write(fd, (secret + "\n").data(), secret.size() + 1) == static_cast<ssize_t>(secret.size() + 1);
    ::fsync(fd);
    ::close(fd);
    if (!written) return fail("cannot write " + path);
    return secret;
  }
  return fail("cannot read " + path);
}

std::string identity_proof(std::string_view secret, std::string_view nonce) {
  std::string msg = "rbee-identity:" + std::string(nonce);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(msg.data()),
       msg.size(), md, &len);
  return to_hex(md, len);
}

bool valid_nonce(std::string_view nonce) {
  if (nonce.size() < 32 || nonce.size() > 128) return false;
  for (char c : nonce)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

std::optional<std::string> check_server_identity(const url& u) {
  std::string why;
  auto secret = load_identity(&why);
  if (!secret) return "this user's identity file: " + why;
  std::string nonce = random_hex(32);
  auto r = http_call(u, "GET", "/v1/identity?nonce=" + nonce, {}, {});
  if (r.status == 0) return std::string("unreachable");
  std::string want = identity_proof(*secret, nonce);
  if (r.status != 200 || r.body.find("\"proof\":\"" + want + "\"") == std::string::npos)
    return "it did not prove it knows this user's secret (" + identity_path() + ")";
  return std::nullopt;
}

} // namespace rbee::net
