#include "io/base64.hpp"

#include <openssl/evp.h>

#include <cctype>

namespace rbee {

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(len));
  return out;
}

std::optional<std::string> unbase64(std::string_view s, size_t max_chars) {
  if (s.empty() || s.size() % 4 || s.size() > max_chars) return std::nullopt;
  size_t pad = s.ends_with("==") ? 2 : s.ends_with("=") ? 1 : 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || (c == '=' && i >= s.size() - pad);
    if (!ok) return std::nullopt;
  }
  std::string out(s.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(s.data()),
                          static_cast<int>(s.size()));
  if (n < 0) return std::nullopt;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

std::string base64url(std::string_view bytes) {
  auto s = base64(bytes);
  while (!s.empty() && s.back() == '=') s.pop_back();
  for (char& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return s;
}

std::optional<std::string> unbase64url(std::string_view s, size_t max_chars) {
  if (s.size() > max_chars) return std::nullopt;
  std::string t(s);
  for (char& c : t) {
    if (c == '+' || c == '/' || c == '=') return std::nullopt;
    c = c == '-' ? '+' : c == '_' ? '/' : c;
  }
  if (t.size() % 4 == 1) return std::nullopt;
  while (t.size() % 4) t.push_back('=');
  return unbase64(t, max_chars + 3);
}

} // namespace rbee
