#pragma once
// A real HTTP server on loopback that implements the Hugging Face endpoints rbee
// uses (model info, tree with sizes and LFS sha256, resolve with a redirect to a
// "CDN" path, Range and ETags, gated repos), with faults to inject: cut the
// connection at a byte, flip a byte, answer 200 to a Range request.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace rbee::test {

class hf_server {
public:
  struct file_faults {
    int64_t cut_at = -1;      ///< close the connection after this many body bytes (once)
    int64_t flip_at = -1;     ///< serve this byte flipped (always)
    bool ignore_range = false;///< answer 200 with the whole file to Range requests
    int64_t bytes_per_s = 0;  ///< send the body at this rate (0: as fast as possible)
  };

  hf_server();
  ~hf_server();

  /// Adds a file to a repo ("org/repo"); the sha256 is computed.
  void add_file(const std::string& repo, const std::string& name, std::string content);
  /// A repo that answers 401 without `token` (403 with another token).
  void gate(const std::string& repo, const std::string& token);
  void faults(const std::string& repo, const std::string& name, file_faults f);
  /// Leave LFS data (sha256, size) out of the tree listing for this repo.
  void hide_lfs(const std::string& repo);
  /// And give no hash anywhere (weak ETags only): its files cannot be verified.
  void hide_hashes(const std::string& repo);
  /// What /api/models lists about a repo (searches sort by downloads, likes).
  void meta(const std::string& repo, int64_t downloads, int64_t likes, const std::string& license, int64_t parameters = 0);
  /// Answers every request whose target starts with `prefix` with 200 and `body`
  /// as is (hostile or malformed answers for the clients under test).
  void raw(const std::string& prefix, std::string body);

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_; }
  int range_requests() const { return range_requests_; }

private:
  struct file {
    std::string content, sha256;
    file_faults faults;
  };
  void serve();
  std::string handle(const std::string& request, int fd);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::atomic<int> range_requests_{0};
  std::mutex mtx_;
  std::map<std::string, std::map<std::string, file>> repos_;
  std::map<std::string, std::string> gated_;
  std::map<std::string, bool> hide_lfs_, hide_hashes_;
  struct repo_meta {
    int64_t downloads = 0, likes = 0;
    std::string license;
    int64_t parameters = 0;
  };
  std::map<std::string, repo_meta> meta_;
  std::map<std::string, std::string> raw_;
  std::string list_models(const std::string& query);
  std::thread thread_;
};

} // namespace rbee::test
