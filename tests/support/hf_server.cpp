#include "tests/support/hf_server.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <sstream>
#include <stdexcept>

namespace rbee::test {

namespace {

std::string sha256(const std::string& s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(s.data(), s.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

void send_all(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::send(fd, s.data() + done, s.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

std::string response(int status, const std::string& reason, const std::string& headers, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n" + headers + "\r\n" + body;
}

std::string header_value(const std::string& req, const std::string& name) {
  std::string lower = req;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string key = "\r\n" + name + ":";
  auto at = lower.find(key);
  if (at == std::string::npos) return "";
  at += key.size();
  auto end = req.find("\r\n", at);
  std::string v = req.substr(at, end - at);
  while (!v.empty() && v.front() == ' ') v.erase(0, 1);
  return v;
}

} // namespace

hf_server::hf_server() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || ::listen(listen_fd_, 64) != 0)
    throw std::runtime_error("hf_server: cannot listen");
  socklen_t len = sizeof(a);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  thread_ = std::thread([this] { serve(); });
}

hf_server::~hf_server() {
  stop_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  ::close(listen_fd_);
  thread_.join();
}

void hf_server::add_file(const std::string& repo, const std::string& name, std::string content) {
  std::lock_guard<std::mutex> g{mtx_};
  auto& f = repos_[repo][name];
  f.sha256 = sha256(content);
  f.content = std::move(content);
}

void hf_server::gate(const std::string& repo, const std::string& token) {
  std::lock_guard<std::mutex> g{mtx_};
  gated_[repo] = token;
}

void hf_server::faults(const std::string& repo, const std::string& name, file_faults f) {
  std::lock_guard<std::mutex> g{mtx_};
  repos_[repo][name].faults = f;
}

void hf_server::hide_lfs(const std::string& repo) {
  std::lock_guard<std::mutex> g{mtx_};
  hide_lfs_[repo] = true;
}

void hf_server::hide_hashes(const std::string& repo) {
  std::lock_guard<std::mutex> g{mtx_};
  hide_lfs_[repo] = true;
  hide_hashes_[repo] = true;
}

void hf_server::meta(const std::string& repo, int64_t downloads, int64_t likes, const std::string& license,
                     int64_t parameters) {
  std::lock_guard<std::mutex> g{mtx_};
  meta_[repo] = {downloads, likes, license, parameters};
}

/// GET /api/models?search=&filter=gguf&sort=&limit=&full=true, as huggingface.co answers it.
std::string hf_server::list_models(const std::string& query) {
  auto param = [&](const std::string& k) {
    auto at = ("&" + query).find("&" + k + "=");
    if (at == std::string::npos) return std::string();
    std::string v = query.substr(at + k.size() + 1);
    v = v.substr(0, v.find('&'));
    std::string out; // %XX and + decoded
    for (size_t i = 0; i < v.size(); ++i)
      if (v[i] == '%' && i + 2 < v.size()) {
        out += static_cast<char>(std::stoi(v.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        out += v[i] == '+' ? ' ' : v[i];
      }
    return out;
  };
  auto lower = [](std::string x) {
    for (auto& c : x) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return x;
  };
  std::string search = lower(param("search")), sort = param("sort");
  size_t limit = param("limit").empty() ? 1000 : std::stoul(param("limit"));
  std::vector<std::string> ids;
  for (auto& [id, files] : repos_) {
    bool gguf = false;
    for (auto& [name, f] : files) gguf = gguf || name.ends_with(".gguf");
    if ((param("filter") != "gguf" || gguf) && lower(id).find(search) != std::string::npos && !gated_.count(id)) ids.push_back(id);
  }
  std::stable_sort(ids.begin(), ids.end(), [&](auto& a, auto& b) {
    return sort == "likes" ? meta_[a].likes > meta_[b].likes : meta_[a].downloads > meta_[b].downloads;
  });
  if (ids.size() > limit) ids.resize(limit);
  std::string body = "[";
  for (auto& id : ids) {
    auto& m = meta_[id];
    body += (body.size() > 1 ? "," : "") + std::string(R"({"id":")") + id + R"(","downloads":)" + std::to_string(m.downloads) +
            R"(,"likes":)" + std::to_string(m.likes) + R"(,"pipeline_tag":"text-generation","tags":["gguf")" +
            (m.license.empty() ? "" : R"(,"license:)" + m.license + "\"") + "]" +
            (m.parameters ? R"(,"gguf":{"total":)" + std::to_string(m.parameters) + "}" : "") + R"(,"siblings":[)";
    bool first = true;
    for (auto& [name, f] : repos_[id]) {
      body += (first ? "" : ",") + std::string(R"({"rfilename":")") + name + "\"}";
      first = false;
    }
    body += "]}";
  }
  return body + "]";
}

void hf_server::raw(const std::string& prefix, std::string body) {
  std::lock_guard<std::mutex> g{mtx_};
  raw_[prefix] = std::move(body);
}

void hf_server::serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    std::string req;
    char buf[4096];
    while (req.find("\r\n\r\n") == std::string::npos) {
      pollfd q{fd, POLLIN, 0};
      if (::poll(&q, 1, 2000) <= 0) break;
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      req.append(buf, static_cast<size_t>(n));
    }
    ++requests_;
    std::string out = handle(req, fd);
    if (!out.empty()) send_all(fd, out);
    ::close(fd);
  }
}

std::string hf_server::handle(const std::string& req, int fd) {
  std::istringstream in(req);
  std::string method, target;
  in >> method >> target;
  std::lock_guard<std::mutex> g{mtx_};
  auto repo_of = [&](const std::string& path, size_t parts) { // "org/repo" from the first two segments
    std::string rest = path;
    auto a = rest.find('/');
    auto b = a == std::string::npos ? a : rest.find('/', a + 1);
    (void)parts;
    return b == std::string::npos ? rest : rest.substr(0, b);
  };
  auto denied = [&](const std::string& repo) -> std::string {
    auto it = gated_.find(repo);
    if (it == gated_.end()) return "";
    std::string auth = header_value(req, "authorization");
    if (auth.empty()) return response(401, "Unauthorized", "", R"({"error":"Access to model is restricted"})");
    if (auth != "Bearer " + it->second) return response(403, "Forbidden", "", R"({"error":"forbidden"})");
    return "";
  };
  for (auto& [prefix, body] : raw_)
    if (target.rfind(prefix, 0) == 0) return response(200, "OK", "Content-Type: application/json\r\n", body);
  if (target.rfind("/api/models?", 0) == 0 || target == "/api/models")
    return response(200, "OK", "Content-Type: application/json\r\n", list_models(target.size() > 12 ? target.substr(12) : ""));
  if (target.rfind("/api/models/", 0) == 0) {
    std::string path = target.substr(12);
    bool tree = path.find("/tree/") != std::string::npos;
    std::string repo = tree ? path.substr(0, path.find("/tree/")) : path;
    if (auto d = denied(repo); !d.empty()) return d;
    auto it = repos_.find(repo);
    if (it == repos_.end()) return response(404, "Not Found", "", R"({"error":"Repository not found"})");
    auto& m = meta_[repo];
    std::string body = tree ? "[" : R"({"id":")" + repo + R"(","downloads":)" + std::to_string(m.downloads) + R"(,"likes":)" +
                                      std::to_string(m.likes) + R"(,"tags":["gguf")" +
                                      (m.license.empty() ? "" : R"(,"license:)" + m.license + "\"") + R"(],"siblings":[)";
    bool first = true;
    for (auto& [name, f] : it->second) {
      body += first ? "" : ",";
      first = false;
      if (tree && hide_lfs_[repo])
        body += R"({"type":"file","path":")" + name + R"("})";
      else if (tree)
        body += R"({"type":"file","path":")" + name + R"(","size":)" + std::to_string(f.content.size()) +
                R"(,"lfs":{"oid":")" + f.sha256 + R"(","size":)" + std::to_string(f.content.size()) + "}}";
      else
        body += R"({"rfilename":")" + name + "\"}";
    }
    body += tree ? "]" : "]}";
    return response(200, "OK", "Content-Type: application/json\r\n", body);
  }
  bool resolve = target.find("/resolve/") != std::string::npos;
  bool cdn = target.rfind("/cdn/", 0) == 0;
  if (!resolve && !cdn) return response(404, "Not Found", "", "no such route");
  std::string repo, name;
  if (resolve) {
    repo = target.substr(1, target.find("/resolve/") - 1);
    std::string rest = target.substr(target.find("/resolve/") + 9); // rev/file
    name = rest.substr(rest.find('/') + 1);
  } else {
    std::string rest = target.substr(5);
    repo = repo_of(rest, 2);
    name = rest.substr(repo.size() + 1);
  }
  if (auto d = denied(repo); !d.empty()) return d;
  auto r = repos_.find(repo);
  if (r == repos_.end() || !r->second.count(name)) return response(404, "Not Found", "", "Entry not found");
  auto& f = r->second[name];
  std::string etag = hide_hashes_[repo] ? "W/\"v1\"" : "\"" + f.sha256 + "\"";
  if (resolve) // like huggingface.co: the LFS file lives elsewhere
    return response(302, "Found",
                    "Location: /cdn/" + repo + "/" + name + "\r\nX-Linked-Etag: " + etag +
                      "\r\nX-Linked-Size: " + std::to_string(f.content.size()) + "\r\nETag: " + etag + "\r\n",
                    "");
  std::string body = f.content;
  if (f.faults.flip_at >= 0 && f.faults.flip_at < static_cast<int64_t>(body.size()))
    body[static_cast<size_t>(f.faults.flip_at)] = static_cast<char>(body[static_cast<size_t>(f.faults.flip_at)] ^ 0x5a);
  size_t from = 0;
  std::string range = header_value(req, "range"), if_range = header_value(req, "if-range");
  if (!range.empty()) ++range_requests_;
  bool partial = !range.empty() && !f.faults.ignore_range && (if_range.empty() || if_range == etag);
  if (partial) {
    from = std::stoull(range.substr(range.find('=') + 1));
    if (from >= body.size())
      return response(416, "Range Not Satisfiable", "Content-Range: bytes */" + std::to_string(body.size()) + "\r\n", "");
  }
  std::string slice = body.substr(from);
  std::string headers = "ETag: " + etag + "\r\nAccept-Ranges: bytes\r\n";
  if (partial)
    headers += "Content-Range: bytes " + std::to_string(from) + "-" + std::to_string(body.size() - 1) + "/" +
               std::to_string(body.size()) + "\r\n";
  std::string out = response(partial ? 206 : 200, partial ? "Partial Content" : "OK", headers, slice);
  if (f.faults.bytes_per_s > 0) { // slowly, in 64 KiB pieces (the lock is released meanwhile)
    auto rate = f.faults.bytes_per_s;
    mtx_.unlock();
    size_t header_len = out.size() - slice.size();
    send_all(fd, out.substr(0, header_len));
    for (size_t at = 0; at < slice.size() && !stop_; at += 65536) {
      std::string piece = slice.substr(at, 65536);
      send_all(fd, piece);
      std::this_thread::sleep_for(std::chrono::microseconds(piece.size() * 1000000 / static_cast<size_t>(rate)));
    }
    mtx_.lock();
    return "";
  }
  if (f.faults.cut_at >= 0) { // send the headers and cut_at body bytes, then hang up (once)
    size_t header_len = out.size() - slice.size();
    size_t keep = std::min(slice.size(), static_cast<size_t>(f.faults.cut_at));
    f.faults.cut_at = -1;
    send_all(fd, out.substr(0, header_len + keep));
    return "";
  }
  return out;
}

} // namespace rbee::test
