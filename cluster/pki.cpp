#include "cluster/pki.hpp"

#include "io/fetch.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace rbee::cluster {

namespace {

template <class T, void (*F)(T*)>
struct deleter {
  void operator()(T* p) const { F(p); }
};
using bio_ptr = std::unique_ptr<BIO, deleter<BIO, BIO_free_all>>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY, EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, deleter<X509, X509_free>>;
using req_ptr = std::unique_ptr<X509_REQ, deleter<X509_REQ, X509_REQ_free>>;
using store_ptr = std::unique_ptr<X509_STORE, deleter<X509_STORE, X509_STORE_free>>;
using store_ctx_ptr = std::unique_ptr<X509_STORE_CTX, deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;

/// OpenSSL's last error, as text, after `what`.
failure ssl_failure(errc code, std::string what) {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    what += " (" + std::string(buf) + ")";
  }
  return fail_with(code, std::move(what));
}

bio_ptr mem(std::string_view pem) { return bio_ptr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))); }

std::string drain(BIO* b) {
  char* data = nullptr;
  long n = BIO_get_mem_data(b, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

bool sane_pem(std::string_view pem) { return !pem.empty() && pem.size() <= max_pem_bytes; }

pkey_ptr read_key(std::string_view pem) {
  if (!sane_pem(pem)) return nullptr;
  auto b = mem(pem);
  return pkey_ptr(PEM_read_bio_PrivateKey(b.get(), nullptr, nullptr, nullptr));
}

x509_ptr read_cert(std::string_view pem) {
  if (!sane_pem(pem)) return nullptr;
  auto b = mem(pem);
  return x509_ptr(PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr));
}

bool set_name(X509_NAME* n, std::string_view cn) {
  return X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("rbee"), -1, -1, 0) == 1 &&
         X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(std::string(cn).c_str()),
                                    -1, -1, 0) == 1;
}

bool add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ex = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ex) return false;
  bool ok = X509_add_ext(cert, ex, -1) == 1;
  X509_EXTENSION_free(ex);
  return ok;
}

/// A random positive 127-bit serial number.
bool set_serial(X509* cert) {
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof raw) != 1) return false;
  raw[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(raw, sizeof raw, nullptr);
  bool ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != nullptr;
  BN_free(bn);
  return ok;
}

/// A certificate shell: version 3, serial, validity from an hour ago (clock skew) for `days`.
x509_ptr new_cert(EVP_PKEY* subject_key, std::string_view name, int days) {
  x509_ptr c(X509_new());
  if (!c || X509_set_version(c.get(), 2) != 1 || !set_serial(c.get()) ||
      !X509_gmtime_adj(X509_getm_notBefore(c.get()), -3600) ||
      !X509_gmtime_adj(X509_getm_notAfter(c.get()), static_cast<long>(days) * 86400) ||
      X509_set_pubkey(c.get(), subject_key) != 1 || !set_name(X509_get_subject_name(c.get()), name))
    return nullptr;
  return c;
}

outcome<std::string> to_pem(X509* c) {
  bio_ptr out(BIO_new(BIO_s_mem()));
  if (!out || PEM_write_bio_X509(out.get(), c) != 1) return ssl_failure(errc::internal, "cannot write a certificate");
  return drain(out.get());
}

bool valid_name(std::string_view name) { return !name.empty() && name.size() <= 64; }

} // namespace

outcome<std::string> new_private_key() {
  pkey_ptr k(EVP_EC_gen("P-256"));
  if (!k) return ssl_failure(errc::internal, "cannot make an ECDSA P-256 key");
  bio_ptr out(BIO_new(BIO_s_mem()));
  if (!out || PEM_write_bio_PrivateKey(out.get(), k.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return ssl_failure(errc::internal, "cannot write a private key");
  return drain(out.get());
}

outcome<std::string> self_signed_ca(std::string_view key_pem, std::string_view name, int days) {
  auto k = read_key(key_pem);
  if (!k) return ssl_failure(errc::invalid_value, "not a PEM private key");
  if (!valid_name(name)) return fail_with(errc::invalid_value, "a CA name must be 1-64 characters");
  auto c = new_cert(k.get(), name, days);
  if (!c || X509_set_issuer_name(c.get(), X509_get_subject_name(c.get())) != 1 ||
      !add_ext(c.get(), c.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
      !add_ext(c.get(), c.get(), NID_key_usage, "critical,keyCertSign,cRLSign") ||
      !add_ext(c.get(), c.get(), NID_subject_key_identifier, "hash") || X509_sign(c.get(), k.get(), EVP_sha256()) == 0)
    return ssl_failure(errc::internal, "cannot make the CA certificate");
  return to_pem(c.get());
}

outcome<std::string> make_csr(std::string_view key_pem, std::string_view name) {
  auto k = read_key(key_pem);
  if (!k) return ssl_failure(errc::invalid_value, "not a PEM private key");
  if (!valid_name(name)) return fail_with(errc::invalid_value, "a certificate name must be 1-64 characters");
  req_ptr r(X509_REQ_new());
  if (!r || X509_REQ_set_version(r.get(), 0) != 1 || !set_name(X509_REQ_get_subject_name(r.get()), name) ||
      X509_REQ_set_pubkey(r.get(), k.get()) != 1 || X509_REQ_sign(r.get(), k.get(), EVP_sha256()) == 0)
    return ssl_failure(errc::internal, "cannot make a certificate request");
  bio_ptr out(BIO_new(BIO_s_mem()));
  if (!out || PEM_write_bio_X509_REQ(out.get(), r.get()) != 1) return ssl_failure(errc::internal, "cannot write a CSR");
  return drain(out.get());
}

outcome<std::string> sign_csr(std::string_view csr_pem, std::string_view ca_cert_pem, std::string_view ca_key_pem,
                              std::string_view name, int days) {
  if (!sane_pem(csr_pem)) return fail_with(errc::invalid_value, "the certificate request is empty or too long");
  auto b = mem(csr_pem);
  req_ptr r(PEM_read_bio_X509_REQ(b.get(), nullptr, nullptr, nullptr));
  if (!r) return ssl_failure(errc::invalid_value, "not a PEM certificate request");
  pkey_ptr pub(X509_REQ_get_pubkey(r.get()));
  if (!pub || X509_REQ_verify(r.get(), pub.get()) != 1)
    return ssl_failure(errc::invalid_value, "the certificate request's signature does not verify");
  if (EVP_PKEY_get_base_id(pub.get()) != EVP_PKEY_EC || EVP_PKEY_get_bits(pub.get()) < 256)
    return fail_with(errc::invalid_value, "the certificate request's key is not an EC key of 256 bits or more");
  auto ca = read_cert(ca_cert_pem);
  auto ca_key = read_key(ca_key_pem);
  if (!ca || !ca_key) return ssl_failure(errc::invalid_value, "the CA certificate or key cannot be read");
  if (!valid_name(name)) return fail_with(errc::invalid_value, "a certificate name must be 1-64 characters");
  auto c = new_cert(pub.get(), name, days);
  if (!c || X509_set_issuer_name(c.get(), X509_get_subject_name(ca.get())) != 1 ||
      !add_ext(c.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !add_ext(c.get(), ca.get(), NID_key_usage, "critical,digitalSignature,keyAgreement") ||
      !add_ext(c.get(), ca.get(), NID_ext_key_usage, "serverAuth,clientAuth") ||
      !add_ext(c.get(), ca.get(), NID_authority_key_identifier, "keyid:always") ||
      X509_sign(c.get(), ca_key.get(), EVP_sha256()) == 0)
    return ssl_failure(errc::internal, "cannot sign the certificate");
  return to_pem(c.get());
}

outcome<std::string> cert_pin(std::string_view cert_pem) {
  auto c = read_cert(cert_pem);
  if (!c) return ssl_failure(errc::invalid_value, "not a PEM certificate");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(c.get(), EVP_sha256(), md, &n) != 1) return ssl_failure(errc::internal, "cannot hash a certificate");
  return to_hex(md, n);
}

outcome<std::string> cert_name(std::string_view cert_pem) {
  auto c = read_cert(cert_pem);
  if (!c) return ssl_failure(errc::invalid_value, "not a PEM certificate");
  char buf[256] = {};
  int n = X509_NAME_get_text_by_NID(X509_get_subject_name(c.get()), NID_commonName, buf, sizeof buf);
  if (n < 0) return fail_with(errc::invalid_value, "the certificate has no common name");
  return std::string(buf, static_cast<size_t>(n));
}

outcome<void> verify_cert(std::string_view cert_pem, std::string_view ca_pem) {
  auto c = read_cert(cert_pem);
  auto ca = read_cert(ca_pem);
  if (!c || !ca) return ssl_failure(errc::invalid_value, "not a PEM certificate");
  store_ptr store(X509_STORE_new());
  store_ctx_ptr ctx(X509_STORE_CTX_new());
  if (!store || !ctx || X509_STORE_add_cert(store.get(), ca.get()) != 1 ||
      X509_STORE_CTX_init(ctx.get(), store.get(), c.get(), nullptr) != 1)
    return ssl_failure(errc::internal, "cannot check a certificate");
  if (X509_verify_cert(ctx.get()) != 1)
    return fail_with(errc::unauthorized, std::string("the certificate does not verify: ") +
                                           X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())));
  return done{};
}

outcome<void> key_matches(std::string_view key_pem, std::string_view cert_pem) {
  auto k = read_key(key_pem);
  auto c = read_cert(cert_pem);
  if (!k || !c) return ssl_failure(errc::invalid_value, "the key or the certificate cannot be read");
  if (X509_check_private_key(c.get(), k.get()) != 1) {
    ERR_clear_error();
    return fail_with(errc::invalid_value, "the key is not the certificate's");
  }
  return done{};
}

} // namespace rbee::cluster
