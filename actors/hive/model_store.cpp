#include "actors/hive/model_store.hpp"

#include "kernels/gguf.hpp"
#include "messages/json.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <system_error>

namespace rbee {

namespace fs = std::filesystem;

namespace {

bool is_gguf(const fs::path& p) {
  std::error_code ec;
  return p.extension() == ".gguf" && fs::is_regular_file(p, ec);
}

/// A model file, or the first part of a split model (its other parts are that model's).
bool is_model(const fs::path& p) {
  auto part = kernels::parse_split_name(p.filename().string());
  return is_gguf(p) && (!part || part->no == 1);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// A file name without directories, dots only inside, no control characters.
bool valid_file_name(const std::string& s) {
  if (s.empty() || s.size() > 255 || s[0] == '.') return false;
  for (unsigned char c : s)
    if (c < 0x20 || c == '/' || c == '\\' || c == 0x7f) return false;
  return true;
}

std::vector<fs::path> ggufs_in(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    if (is_model(it->path())) out.push_back(it->path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string names(const std::vector<fs::path>& files) {
  std::string out;
  for (auto& f : files) out += (out.empty() ? "" : ", ") + f.filename().string();
  return out;
}

} // namespace

std::vector<model_entry> model_store::list() const {
  std::vector<model_entry> out;
  std::error_code ec;
  fs::path root(root_);
  for (auto org = fs::directory_iterator(root, ec); !ec && org != fs::directory_iterator(); org.increment(ec)) {
    if (!org->is_directory()) continue;
    std::error_code ec2;
    for (auto repo = fs::directory_iterator(org->path(), ec2); !ec2 && repo != fs::directory_iterator();
         repo.increment(ec2)) {
      if (!repo->is_directory()) continue;
      for (auto& f : ggufs_in(repo->path())) {
        model_entry e;
        e.path = f.string();
        std::error_code ec3;
        e.size = fs::file_size(f, ec3);
        auto t = fs::last_write_time(f, ec3);
        e.modified_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::file_clock::to_sys(t).time_since_epoch()).count();
        describe(e);
        e.name = canonical(org->path().filename().string(), repo->path().filename().string(),
                           f.filename().string(), e.quantization);
        out.push_back(std::move(e));
      }
    }
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return out;
}

std::string model_store::canonical(const std::string& org, const std::string& repo, const std::string& file,
                                   const std::string& quant) const {
  std::string base = org + "/" + repo + ":";
  if (!quant.empty()) {
    auto hit = resolve(base + quant, false);
    if (hit && fs::path(*hit).filename() == file) return base + quant;
  }
  return base + file;
}

std::string model_store::name_of(const std::string& path) const {
  std::error_code ec;
  std::vector<std::string> parts; // org, repo, file when the path is in the store
  for (auto& x : fs::relative(fs::path(path), fs::path(root_), ec)) parts.push_back(x.string());
  if (ec || parts.size() != 3 || parts[0] == "..") return path;
  model_entry e;
  e.path = path;
  describe(e);
  return canonical(parts[0], parts[1], parts[2], e.quantization);
}

void model_store::describe(model_entry& e) {
  auto f = kernels::gguf_file::open(e.path); // maps and checks the header; the weights are not read
  if (!f) {
    e.error = f.error();
    return;
  }
  const auto& g = **f;
  e.size = g.file_size(); // every part of a split model
  try {
    e.arch = g.opt_string("general.architecture", "");
    if (!e.arch.empty()) e.context_length = static_cast<int64_t>(g.opt_uint(e.arch + ".context_length", 0));
    for (auto& t : g.tensors()) e.parameters += t.elements();
    static const std::pair<uint64_t, const char*> file_types[] = {
      {0, "F32"}, {1, "F16"}, {2, "Q4_0"}, {3, "Q4_1"}, {7, "Q8_0"}, {8, "Q5_0"}, {9, "Q5_1"}, {10, "Q2_K"},
      {11, "Q3_K_S"}, {12, "Q3_K_M"}, {13, "Q3_K_L"}, {14, "Q4_K_S"}, {15, "Q4_K_M"}, {16, "Q5_K_S"},
      {17, "Q5_K_M"}, {18, "Q6_K"}, {25, "IQ4_NL"}, {30, "IQ4_XS"}, {32, "BF16"}, {38, "MXFP4"}};
    uint64_t ft = g.opt_uint("general.file_type", 1000);
    for (auto& [id, name] : file_types)
      if (id == ft) e.quantization = name;
    if (e.quantization.empty()) { // the type of most of the weights
      std::map<std::string, uint64_t> bytes;
      for (auto& t : g.tensors()) bytes[std::string(kernels::name(t.type))] += t.bytes;
      uint64_t best = 0;
      for (auto& [n, b] : bytes)
        if (b > best) {
          best = b;
          e.quantization = n;
        }
      for (auto& c : e.quantization) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  } catch (const kernels::kernel_error& err) {
    e.error = err.what();
  }
}

caf::expected<std::string> model_store::resolve(const std::string& raw, bool allow_paths) const {
  if (raw.empty() || raw.size() > 1024) return make_error(errc::invalid_value, "model name is empty or too long");
  for (unsigned char c : raw)
    if (c < 0x20 || c == 0x7f) return make_error(errc::invalid_value, "model name contains control characters");
  if (raw[0] == '/' || raw.rfind("./", 0) == 0 || raw.rfind("../", 0) == 0) {
    if (!allow_paths)
      return make_error(errc::forbidden, "model paths are only accepted on a loopback-bound server; use a store name");
    std::error_code ec;
    fs::path p = fs::weakly_canonical(fs::path(raw), ec);
    if (ec || !is_gguf(p)) return make_error(errc::model_not_found, "no GGUF file at " + raw);
    return p.string();
  }
  std::string name = raw;
  for (const char* prefix : {"hf.co/", "huggingface.co/", "https://huggingface.co/"})
    if (name.rfind(prefix, 0) == 0) name = name.substr(std::string(prefix).size());
  std::string sel;
  if (auto colon = name.find(':'); colon != std::string::npos) {
    sel = name.substr(colon + 1);
    name = name.substr(0, colon);
  }
  auto slash = name.find('/');
  if (slash == std::string::npos) { // a bare file name: look for it anywhere in the store
    if (!valid_file_name(name) || !sel.empty() || name.size() < 6 || name.substr(name.size() - 5) != ".gguf")
      return make_error(errc::model_not_found, "model '" + raw + "' is not in the store (use org/repo[:QUANT])");
    std::vector<std::string> hits;
    for (auto& e : list())
      if (fs::path(e.path).filename() == name) hits.push_back(e.path);
    if (hits.size() == 1) return hits[0];
    if (hits.empty()) return make_error(errc::model_not_found, "no file '" + name + "' in the store");
    return make_error(errc::model_not_found, "several files are named '" + name + "'; use org/repo:" + name);
  }
  std::string org = name.substr(0, slash), repo = name.substr(slash + 1);
  if (!json::valid_id(org) || !json::valid_id(repo) || org == ".." || repo == "..")
    return make_error(errc::invalid_value, "model '" + raw + "' is not of the form org/repo[:QUANT|:file.gguf]");
  fs::path dir = fs::path(root_) / org / repo;
  auto files = ggufs_in(dir);
  if (files.empty()) return make_error(errc::model_not_found, "model '" + org + "/" + repo + "' is not in the store");
  if (sel.empty()) {
    if (files.size() == 1) return files[0].string();
    return make_error(errc::model_not_found, "'" + org + "/" + repo + "' holds several GGUF files (" + names(files) +
                                               "); choose one with " + org + "/" + repo + ":QUANT");
  }
  if (sel.size() > 5 && sel.substr(sel.size() - 5) == ".gguf") {
    if (!valid_file_name(sel)) return make_error(errc::invalid_value, "bad file name '" + sel + "'");
    for (auto& f : files)
      if (f.filename() == sel) return f.string();
    return make_error(errc::model_not_found, "no file '" + sel + "' in " + org + "/" + repo + " (" + names(files) + ")");
  }
  std::vector<fs::path> hits;
  std::string q = lower(sel);
  for (auto& f : files) {
    std::string n = lower(f.filename().string());
    auto at = n.find(q);
    bool bounded = at != std::string::npos && (at == 0 || !std::isalnum(static_cast<unsigned char>(n[at - 1]))) &&
                   (at + q.size() >= n.size() || !std::isalnum(static_cast<unsigned char>(n[at + q.size()])));
    if (bounded) hits.push_back(f);
  }
  if (hits.size() == 1) return hits[0].string();
  if (hits.empty())
    return make_error(errc::model_not_found, "no " + sel + " file in " + org + "/" + repo + " (" + names(files) + ")");
  return make_error(errc::model_not_found, "several " + sel + " files in " + org + "/" + repo + " (" + names(hits) + ")");
}

} // namespace rbee
