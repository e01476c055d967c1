#include "messages/rbee_url.hpp"

#include "messages/json.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace rbee {

namespace {

bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}

/// A Hugging Face org or repo name, or a quantization / file name.
bool valid_name(std::string_view s, size_t max) {
  return !s.empty() && s.size() <= max && std::isalnum(static_cast<unsigned char>(s[0])) &&
         std::all_of(s.begin(), s.end(), name_char) && s.find("..") == std::string_view::npos;
}

/// A worker id the job API takes (json::valid_id), in lower case as catalogs name them.
bool valid_worker(std::string_view s) {
  auto ok = [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '.' ||
           c == '_' || c == '-';
  };
  return json::valid_id(s) && std::isalnum(static_cast<unsigned char>(s[0])) && std::all_of(s.begin(), s.end(), ok) &&
         s.find("..") == std::string_view::npos;
}

std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == '/') {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  return out;
}

std::optional<std::string> hf_model(const std::vector<std::string_view>& p, std::string& why) {
  if (p.size() != 5 || p[1] != "model" || p[2] != "huggingface") {
    why = "expected rbee://" + std::string(p[0]) + "/model/huggingface/<org>/<repo>[:<quant>]";
    return std::nullopt;
  }
  std::string_view org = p[3], repo = p[4], quant;
  if (auto colon = repo.find(':'); colon != std::string_view::npos) {
    quant = repo.substr(colon + 1);
    repo = repo.substr(0, colon);
    if (!valid_name(quant, 128)) {
      why = "the quantization must be letters, digits, '.', '_' or '-'";
      return std::nullopt;
    }
  }
  if (!valid_name(org, 96) || !valid_name(repo, 96)) {
    why = "org and repo must be 1-96 letters, digits, '.', '_' or '-' (no '..')";
    return std::nullopt;
  }
  std::string m = std::string(org) + "/" + std::string(repo);
  if (!quant.empty()) m += ":" + std::string(quant);
  return m;
}

void json_string(std::string& out, const std::string& s) { // the parts are plain ASCII names
  out += '"';
  out += s;
  out += '"';
}

} // namespace

std::optional<rbee_link> parse_rbee_url(std::string_view url, std::string& why) {
  if (url.size() > max_rbee_url) {
    why = "the link is longer than " + std::to_string(max_rbee_url) + " characters";
    return std::nullopt;
  }
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f || c == '%' || c == '?' || c == '#' ||
        c == '\\' || c == '"' || c == '\'') {
      why = "the link has a character rbee links never contain";
      return std::nullopt;
    }
  constexpr std::string_view scheme = "rbee://";
  if (url.size() < scheme.size() ||
      !std::equal(scheme.begin(), scheme.end(), url.begin(), [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); })) {
    why = "not an rbee:// link";
    return std::nullopt;
  }
  std::string_view rest = url.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1); // browsers may add one
  auto p = split(rest);
  for (auto part : p)
    if (part.empty() || part == "." || part == "..") {
      why = "the link has an empty, '.' or '..' part";
      return std::nullopt;
    }
  rbee_link link{};
  if (p[0] == "download" || p[0] == "run") {
    auto m = hf_model(p, why);
    if (!m) return std::nullopt;
    link.what = p[0] == "run" ? rbee_link::verb::run : rbee_link::verb::download;
    link.model = *m;
    return link;
  }
  if (p[0] == "install") {
    if (p.size() != 3 || p[1] != "worker" || !valid_worker(p[2])) {
      why = "expected rbee://install/worker/<worker_id> (1-64 lower-case letters, digits, '.', '_', '-')";
      return std::nullopt;
    }
    link.what = rbee_link::verb::install;
    link.worker = std::string(p[2]);
    return link;
  }
  if (p[0] == "open") {
    if (p.size() != 2 || p[1] != "dashboard") {
      why = "expected rbee://open/dashboard";
      return std::nullopt;
    }
    link.what = rbee_link::verb::dashboard;
    return link;
  }
  why = "unknown action '" + std::string(p[0]).substr(0, 32) + "' (download, run, install or open)";
  return std::nullopt;
}

std::string rbee_link_job(const rbee_link& link) {
  std::string out;
  switch (link.what) {
    case rbee_link::verb::download:
    case rbee_link::verb::run:
      out = link.what == rbee_link::verb::run ? R"({"operation":"auto_run","model":)" : R"({"operation":"model_download","model":)";
      json_string(out, link.model);
      return out + "}";
    case rbee_link::verb::install:
      out = R"({"operation":"worker_install","worker_id":)";
      json_string(out, link.worker);
      return out + "}";
    case rbee_link::verb::dashboard:
      return "";
  }
  return "";
}

} // namespace rbee
