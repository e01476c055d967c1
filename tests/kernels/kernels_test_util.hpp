#pragma once
// Helpers for the engine tests: the test models, random data.

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace rbee::test {

/// $RBEE_TEST_MODELS, default the repository's tests/models (stories260K is carried there).
inline std::string models_dir() {
  const char* d = std::getenv("RBEE_TEST_MODELS");
  return d && *d ? d : std::string(RBEE_SOURCE_DIR) + "/tests/models";
}

inline std::string stories(const std::string& file) {
  return models_dir() + "/stories260K/" + file;
}

inline bool exists(const std::string& path) {
  return std::ifstream(path).good();
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::vector<float> random_floats(size_t n, uint32_t seed, float scale = 1.f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

} // namespace rbee::test
