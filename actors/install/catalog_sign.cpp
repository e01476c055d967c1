#include "actors/install/catalog_sign.hpp"

#include "io/atomic_file.hpp"
#include "io/base64.hpp"
#include "io/fetch.hpp"
#include "config/settings.hpp"
#include "json/parse.hpp"
#include "json/writer.hpp"
#include "messages/errc.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

namespace fs = std::filesystem;

namespace rbee {

namespace {

using pkey_ptr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

caf::expected<pkey_ptr> read_private(const std::string& path) {
  std::unique_ptr<FILE, decltype(&std::fclose)> f(std::fopen(path.c_str(), "re"), std::fclose);
  if (!f) return make_error(errc::not_found, "no catalog signing key at " + path + " (make one: rbee catalog keygen)");
  pkey_ptr k(PEM_read_PrivateKey(f.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  if (!k || EVP_PKEY_id(k.get()) != EVP_PKEY_ED25519)
    return make_error(errc::invalid_value, path + " is not an Ed25519 private key in PEM");
  return k;
}

std::string public_of(EVP_PKEY* k) {
  unsigned char raw[32];
  size_t len = sizeof raw;
  if (EVP_PKEY_get_raw_public_key(k, raw, &len) != 1 || len != 32) return "";
  return base64(std::string_view(reinterpret_cast<const char*>(raw), len));
}


} // namespace

std::string default_catalog_key_path() {
  std::string cfg = config::default_config_path(); // .../rbee/config.json
  return cfg.substr(0, cfg.rfind('/')) + "/catalog-key.pem";
}

caf::expected<std::string> catalog_keygen(const std::string& path) {
  std::error_code ec;
  if (fs::exists(path, ec))
    return make_error(errc::invalid_value, path + " exists; not replacing a signing key (remove it first)");
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr),
                                                                  EVP_PKEY_CTX_free);
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1)
    return make_error(errc::internal, "OpenSSL could not make an Ed25519 key");
  pkey_ptr k(raw, EVP_PKEY_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), k.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return make_error(errc::internal, "OpenSSL could not write the key");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (auto w = write_file_atomic(path, std::string_view(data, static_cast<size_t>(n)), 0600); !w) return make_error(w.error());
  return public_of(k.get());
}

caf::expected<std::string> catalog_public_key(const std::string& path) {
  auto k = read_private(path);
  if (!k) return k.error();
  return public_of(k->get());
}

caf::expected<size_t> sign_catalog(const std::string& dir, const std::string& key_path) {
  auto k = read_private(key_path);
  if (!k) return k.error();
  std::map<std::string, std::string> files;
  std::error_code ec;
  for (const char* top : {"workers", "sources"}) {
    fs::path base = fs::path(dir) / top;
    if (!fs::is_directory(base, ec)) continue;
    for (auto it = fs::recursive_directory_iterator(base, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
      std::string rel = fs::relative(it->path(), dir, ec).string();
      files[rel] = sha256_file(it->path().string());
    }
  }
  if (ec) return make_error(errc::internal, "cannot list " + dir + ": " + ec.message());
  rapidjson::StringBuffer buf;
  json::writer w(buf);
  w.StartObject();
  w.Key("version");
  w.Int(1);
  w.Key("files");
  w.StartObject();
  for (auto& [rel, sha] : files) {
    w.Key(rel);
    w.String(sha);
  }
  w.EndObject();
  w.EndObject();
  std::string index = buf.GetString();
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned char sig[64];
  size_t sig_len = sizeof sig;
  if (!md || EVP_DigestSignInit(md.get(), nullptr, nullptr, nullptr, k->get()) != 1 ||
      EVP_DigestSign(md.get(), sig, &sig_len, reinterpret_cast<const unsigned char*>(index.data()), index.size()) != 1)
    return make_error(errc::internal, "OpenSSL could not sign the index");
  if (auto r = write_file_atomic(dir + "/index.json", index); !r) return make_error(r.error());
  if (auto r = write_file_atomic(dir + "/index.json.sig", base64(std::string_view(reinterpret_cast<const char*>(sig), sig_len)) + "\n"); !r) return make_error(r.error());
  return files.size();
}

caf::expected<catalog_index> verify_catalog_index(std::string_view index_json, std::string_view signature,
                                                  std::string_view public_key) {
  auto bad = [](std::string why) { return make_error(errc::checksum_mismatch, std::move(why)); };
  while (!signature.empty() && (signature.back() == '\n' || signature.back() == '\r')) signature.remove_suffix(1);
  auto key = unbase64(public_key);
  if (!key || key->size() != 32) return bad("catalog_key is not an Ed25519 public key (base64 of 32 bytes)");
  auto sig = unbase64(signature);
  if (!sig || sig->size() != 64) return bad("the catalog's index.json.sig is not an Ed25519 signature");
  pkey_ptr k(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(key->data()), key->size()), EVP_PKEY_free);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!k || !md || EVP_DigestVerifyInit(md.get(), nullptr, nullptr, nullptr, k.get()) != 1 ||
      EVP_DigestVerify(md.get(), reinterpret_cast<const unsigned char*>(sig->data()), sig->size(), reinterpret_cast<const unsigned char*>(index_json.data()),
                       index_json.size()) != 1)
    return bad("the catalog's signature does not verify with catalog_key: a different signer, or altered");
  rapidjson::Document d;
  if (!json::parse(d, index_json) || !d.IsObject() || !d.HasMember("files") || !d["files"].IsObject())
    return bad("the catalog's index.json is malformed");
  catalog_index out;
  for (auto& m : d["files"].GetObject()) {
    if (!m.value.IsString()) return bad("the catalog's index.json is malformed");
    out.emplace(std::string(m.name.GetString(), m.name.GetStringLength()), m.value.GetString());
  }
  return out;
}

caf::expected<void> check_in_index(const catalog_index& index, const std::string& path, std::string_view text) {
  auto it = index.find(path);
  if (it == index.end())
    return make_error(errc::checksum_mismatch, path + " is not in the catalog's signed index");
  if (it->second != sha256_text(text))
    return make_error(errc::checksum_mismatch, path + " does not match the catalog's signed index (altered?)");
  return caf::unit;
}

} // namespace rbee
