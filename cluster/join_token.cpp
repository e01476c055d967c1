#include "cluster/join_token.hpp"

#include "cluster/pki.hpp"
#include "io/base64.hpp"
#include "io/fetch.hpp"
#include "json/parse.hpp"
#include "json/writer.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <rapidjson/document.h>

namespace rbee::cluster {

namespace {

bool valid_id(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') return false;
  return true;
}

bool valid_address(std::string_view s) {
  auto colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || s.size() > 300) return false;
  auto port = s.substr(colon + 1);
  if (port.empty() || port.size() > 5) return false;
  for (char c : port)
    if (c < '0' || c > '9') return false;
  int p = std::stoi(std::string(port));
  if (p <= 0 || p > 65535) return false;
  for (char c : s.substr(0, colon))
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':' && c != '[' && c != ']')
      return false;
  return true;
}

std::string text_field(const rapidjson::Value& o, const char* name) {
  auto it = o.FindMember(name);
  if (it == o.MemberEnd() || !it->value.IsString()) return {};
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

} // namespace

std::string encode(const join_token& t) {
  rapidjson::StringBuffer buf;
  json::writer w(buf);
  w.StartObject();
  w.Key("v");
  w.Int(1);
  w.Key("queen");
  w.String(t.queen);
  w.Key("hive_id");
  w.String(t.hive_id);
  w.Key("secret");
  w.String(t.secret);
  w.Key("expires_ms");
  w.Int64(t.expires_ms);
  w.Key("ca_pin");
  w.String(t.ca_pin);
  w.Key("queen_ca");
  w.String(t.queen_ca);
  w.Key("cert");
  w.String(t.cert);
  if (!t.key.empty()) {
    w.Key("key");
    w.String(t.key);
  }
  w.EndObject();
  return std::string(token_prefix) + base64url(std::string_view(buf.GetString(), buf.GetSize()));
}

outcome<join_token> decode(std::string_view text) {
  auto bad = [](std::string why) { return fail_with(errc::invalid_value, "not a valid join token: " + why); };
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  if (!text.starts_with(token_prefix)) return bad("it must start with " + std::string(token_prefix));
  text.remove_prefix(token_prefix.size());
  if (text.size() > max_token_chars) return bad("too long");
  auto raw = unbase64url(text, max_token_chars);
  if (!raw) return bad("it is not base64url (was it cut when copied?)");
  rapidjson::Document d;
  std::string why;
  if (!json::parse(d, *raw, &why, 4) || !d.IsObject()) return bad("its content is not a JSON object");
  auto v = d.FindMember("v");
  if (v == d.MemberEnd() || !v->value.IsInt() || v->value.GetInt() != 1)
    return bad("an unknown version (made by another rbee release?)");
  join_token t;
  t.queen = text_field(d, "queen");
  t.hive_id = text_field(d, "hive_id");
  t.secret = text_field(d, "secret");
  t.ca_pin = text_field(d, "ca_pin");
  t.queen_ca = text_field(d, "queen_ca");
  t.cert = text_field(d, "cert");
  t.key = text_field(d, "key");
  auto e = d.FindMember("expires_ms");
  if (e == d.MemberEnd() || !e->value.IsInt64()) return bad("no expiry");
  t.expires_ms = e->value.GetInt64();
  if (!valid_address(t.queen)) return bad("the queen address is not HOST:PORT");
  if (!valid_id(t.hive_id)) return bad("the hive id is not 1-64 characters of [A-Za-z0-9._-]");
  if (t.secret.size() < 32 || t.secret.size() > 128) return bad("the secret has the wrong length");
  if (t.ca_pin.size() != 64) return bad("the CA pin is not a SHA-256");
  auto pin = cert_pin(t.queen_ca);
  if (!pin) return bad("the queen CA: " + pin.error().message);
  if (!same_digest(*pin, t.ca_pin)) return bad("the queen CA does not have the pin the token states");
  if (auto n = cert_name(t.cert); !n) return bad("the hive certificate: " + n.error().message);
  if (!t.key.empty())
    if (auto m = key_matches(t.key, t.cert); !m) return bad(m.error().message);
  return t;
}

std::string new_secret() {
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1) return {};
  return base64url(std::string_view(reinterpret_cast<const char*>(raw), sizeof raw));
}

std::string secret_hash(std::string_view secret) { return sha256_text(secret); }

bool same_digest(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace rbee::cluster
