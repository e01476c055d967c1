#include "actors/install/sources.hpp"

#include "io/atomic_file.hpp"
#include "io/extract.hpp"
#include "io/fetch.hpp"
#include "messages/errc.hpp"

#include <cctype>
#include <filesystem>

namespace fs = std::filesystem;

namespace rbee {

namespace {

bool valid_file_name(const std::string& n) {
  if (n.empty() || n.size() > 200 || n == "." || n == ".." || n[0] == '.' || n[0] == '-') return false;
  for (char c : n)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-' && c != '+' && c != '@') return false;
  return true;
}

bool is_hex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string mib(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return buf;
}

} // namespace

caf::expected<std::vector<source_entry>> plan_sources(const pkgbuild& pkg, const std::string& catalog_url) {
  auto sources = pkg.list("source");
  auto sums = pkg.list("sha256sums");
  if (sums.size() != sources.size())
    return make_error(errc::bad_request, "PKGBUILD has " + std::to_string(sources.size()) + " sources but " +
                                             std::to_string(sums.size()) + " sha256sums");
  std::vector<source_entry> out;
  for (size_t i = 0; i < sources.size(); ++i) {
    source_entry e;
    std::string s = sources[i];
    auto rename = s.find("::");
    std::string url = rename == std::string::npos ? s : s.substr(rename + 2);
    if (url.find("git+") == 0 || url.find("svn+") == 0 || url.find("hg+") == 0 || url.find("bzr+") == 0)
      return make_error(errc::bad_request, "source '" + s.substr(0, 100) + "': VCS sources are not supported");
    auto scheme_end = url.find("://");
    std::string scheme = scheme_end == std::string::npos ? "" : lower(url.substr(0, scheme_end));
    if (scheme.empty()) {
      if (!valid_file_name(url)) return make_error(errc::bad_request, "source '" + s.substr(0, 100) + "': invalid file name");
      url = catalog_url + "/sources/" + url;
    } else if (scheme != "http" && scheme != "https" && scheme != "file") {
      return make_error(errc::bad_request, "source '" + s.substr(0, 100) + "': unsupported scheme " + scheme);
    } else if (scheme == "file" && url.compare(scheme_end, 4, ":///") != 0) {
      return make_error(errc::bad_request, "source '" + s.substr(0, 100) + "': file URLs must be absolute (file:///...)");
    }
    if (url.find_first_of(" \t\r\n") != std::string::npos || url.find("/../") != std::string::npos)
      return make_error(errc::bad_request, "source '" + s.substr(0, 100) + "': invalid URL");
    std::string path = url.substr(0, url.find_first_of("?#"));
    e.name = rename != std::string::npos ? s.substr(0, rename) : path.substr(path.rfind('/') + 1);
    if (!valid_file_name(e.name)) return make_error(errc::bad_request, "source '" + s.substr(0, 100) + "': invalid file name '" + e.name.substr(0, 60) + "'");
    for (auto& prev : out)
      if (prev.name == e.name) return make_error(errc::bad_request, "two sources are named '" + e.name + "'");
    if (sums[i] == "SKIP")
      return make_error(errc::bad_request, "source '" + e.name + "': a SKIP checksum is refused; rbee builds verified sources only");
    if (!is_hex64(sums[i])) return make_error(errc::bad_request, "source '" + e.name + "': sha256sums entry is not 64 hex digits");
    e.url = url;
    e.sha256 = lower(sums[i]);
    out.push_back(std::move(e));
  }
  return out;
}

caf::expected<void> fetch_sources(const std::vector<source_entry>& sources, const std::string& tree,
                                  const source_progress& progress, const std::atomic<bool>& cancel) {
  std::error_code ec;
  for (const char* d : {"sources", "src", "pkg"}) fs::create_directories(tree + "/" + d, ec);
  if (ec) return make_error(errc::internal, "cannot create the build tree " + tree + ": " + ec.message());
  for (const auto& s : sources) {
    if (cancel) return make_error(errc::cancelled, "cancelled");
    std::string got = tree + "/sources/" + s.name;
    if (s.url.rfind("file://", 0) == 0) {
      std::string from = s.url.substr(7);
      if (!fs::is_regular_file(from, ec)) return make_error(errc::bad_request, "source '" + s.name + "': no file " + from);
      if (auto r = copy_file_atomic(from, got, 0644); !r) return make_error(r.error());
      auto sum = sha256_file(got);
      if (sum != s.sha256) {
        fs::remove(got, ec);
        return make_error(errc::checksum_mismatch, "source '" + s.name + "': sha256 " + sum + ", expected " + s.sha256);
      }
    } else {
      fetch_request r;
      r.url = s.url;
      r.dir = tree + "/sources";
      r.file = s.name;
      r.expected_sha256 = s.sha256;
      r.max_retries = 3;
      auto f = fetch_file(r, nullptr, cancel);
      if (!f) {
        const auto& err = f.error();
        return make_error(err.code == errc::checksum_mismatch ? errc::checksum_mismatch : errc::unavailable,
                          "source '" + s.name + "': " + err.message);
      }
    }
    if (progress) progress(s.name, "verified sha256 " + s.sha256.substr(0, 12) + "…, " + mib(fs::file_size(got, ec)));
    if (is_archive_name(s.name)) {
      auto x = extract_archive(got, tree + "/src");
      if (!x) return make_error(errc::bad_request, "source '" + s.name + "': " + x.error().message);
      if (progress) progress(s.name, "extracted " + std::to_string(x->files) + " files, " + mib(x->bytes));
    } else if (auto r = copy_file_atomic(got, tree + "/src/" + s.name, 0644); !r) {
      return make_error(r.error());
    }
  }
  return caf::unit;
}

} // namespace rbee
