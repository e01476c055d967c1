// Download throughput from a loopback Hugging Face-like server: rbee's fetch
// (resume-capable, sha256-verified, fsynced) against the curl command on the
// same file. Usage: bench_download [MiB=256]
#include "io/fetch.hpp"
#include "tests/support/hf_server.hpp"
#include "tests/support/process.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>

using namespace rbee;
using clk = std::chrono::steady_clock;

int main(int argc, char** argv) {
  size_t mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 256;
  std::string content(mib << 20, '\0');
  std::mt19937_64 rng(1);
  for (size_t i = 0; i + 8 <= content.size(); i += 8) {
    uint64_t v = rng();
    std::memcpy(&content[i], &v, 8);
  }
  test::hf_server srv;
  srv.add_file("bench/model", "model-Q4_0.gguf", content);
  std::string dir = test::temp_dir();
  std::string url = srv.endpoint() + "/bench/model/resolve/main/model-Q4_0.gguf";
  std::string sha = [&] {
    std::string p = dir + "/ref";
    FILE* f = std::fopen(p.c_str(), "wb");
    std::fwrite(content.data(), 1, content.size(), f);
    std::fclose(f);
    auto h = sha256_file(p);
    std::filesystem::remove(p);
    return h;
  }();
  std::vector<double> ours, theirs;
  for (int round = 0; round < 3; ++round) {
    std::filesystem::remove(dir + "/model-Q4_0.gguf");
    fetch_request r;
    r.url = url;
    r.dir = dir;
    r.file = "model-Q4_0.gguf";
    r.expected_size = content.size();
    r.expected_sha256 = sha;
    std::atomic<bool> cancel{false};
    auto t0 = clk::now();
    auto got = fetch_file(r, [](const fetch_progress&) {}, cancel);
    ours.push_back(std::chrono::duration<double>(clk::now() - t0).count());
    if (!got) {
      std::fprintf(stderr, "fetch failed: %s\n", got.error().message.c_str());
      return 1;
    }
    t0 = clk::now();
    auto c = test::run({"/usr/bin/curl", "-sL", "-o", dir + "/curl.gguf", url});
    theirs.push_back(std::chrono::duration<double>(clk::now() - t0).count());
    if (c.status != 0) {
      std::fprintf(stderr, "curl failed (%d)\n", c.status);
      return 1;
    }
  }
  std::sort(ours.begin(), ours.end());
  std::sort(theirs.begin(), theirs.end());
  double a = content.size() / ours[1] / 1048576, b = content.size() / theirs[1] / 1048576;
  std::printf("%zu MiB over loopback, medians of 3: rbee fetch %.0f MiB/s (with sha256 + fsync), curl %.0f MiB/s "
              "= %.2fx curl\n", mib, a, b, a / b);
  return 0;
}
