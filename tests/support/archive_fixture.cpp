#include "tests/support/archive_fixture.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <openssl/sha.h>

#include <cstdio>

namespace rbee::test {

std::string tarball(const std::vector<std::pair<std::string, std::string>>& files) {
  size_t cap = 1 << 16;
  for (auto& [p, c] : files) cap += c.size() + p.size() + 1024;
  std::vector<char> buf(cap);
  size_t used = 0;
  archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_pax_restricted(a);
  archive_write_open_memory(a, buf.data(), buf.size(), &used);
  for (auto& [p, c] : files) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, p.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(c.size()));
    archive_write_header(a, e);
    archive_write_data(a, c.data(), c.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return std::string(buf.data(), used);
}

std::string sha256_hex(const std::string& data) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), d);
  std::string out;
  char hex[3];
  for (auto c : d) {
    std::snprintf(hex, sizeof hex, "%02x", c);
    out += hex;
  }
  return out;
}

} // namespace rbee::test
