#include "actors/download/downloader.hpp"

#include "io/fetch.hpp"
#include "actors/blocking.hpp"
#include "actors/download/hf_api.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include <chrono>
#include <cstdio>
#include <algorithm>
#include <filesystem>

namespace rbee {

namespace {

namespace fs = std::filesystem;

std::string mib(uint64_t b) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f MiB", b / 1048576.0);
  return buf;
}

/// <models>/<org>/<repo>/<file>, created, and checked to stay under the models root.
caf::expected<std::string> store_dir(const std::string& models, const hf_ref& ref) {
  std::error_code ec;
  fs::path root = fs::weakly_canonical(models, ec);
  fs::path dir = root / ref.org / ref.repo;
  fs::create_directories(dir, ec);
  if (ec) return make_error(errc::internal, "cannot create " + dir.string() + ": " + ec.message());
  fs::path real = fs::canonical(dir, ec);
  auto rel = real.lexically_relative(root);
  if (ec || rel.empty() || rel.native().rfind("..", 0) == 0)
    return make_error(errc::forbidden, "the store path of " + ref.id() + " leaves the models root");
  return real.string();
}

caf::expected<download_result> download(caf::event_based_actor* self, const hive_actor& relay, const std::string& model,
                                    const download_options& o, const std::atomic<bool>& cancel) {
  auto say = [&](std::string action, std::string human, std::vector<field> fields = {},
                 event_kind kind = event_kind::narration, level lvl = level::info) {
    auto n = narrate("", "downloader", action, model, human); // the hive fills in each job
    n.kind = kind;
    n.fields = std::move(fields);
    n.lvl = lvl;
    self->send(relay, progress_atom::value, model, std::move(n));
  };
  auto ref = parse_hf_ref(model);
  if (!ref) return std::move(ref.error());
  say("resolving", "looking up " + ref->id() + " at " + o.endpoint);
  auto tree = hf_tree(o.endpoint, ref->id(), o.token);
  if (!tree) return std::move(tree.error());
  auto files = choose_gguf(*tree, ref->selector, ref->id()); // (sizes and hashes may be filled in below)
  if (!files) return std::move(files.error());
  auto dir = store_dir(o.models_dir, *ref);
  if (!dir) return std::move(dir.error());
  uint64_t total = 0;
  for (auto& f : *files) {
    if (!safe_gguf_name(f.path)) return make_error(errc::forbidden, "refusing the unsafe file name '" + f.path.substr(0, 200) + "'");
    if (f.sha256.empty() || f.size == 0) { // no LFS data in the listing: ask the file itself
      std::vector<std::string> h;
      if (!o.token.empty()) h.push_back("Authorization: Bearer " + o.token);
      auto head = http_head(hf_file_url(o.endpoint, ref->id(), f.path), h);
      std::string etag = head.get("x-linked-etag").empty() ? head.get("etag") : head.get("x-linked-etag");
      etag.erase(std::remove(etag.begin(), etag.end(), '"'), etag.end());
      if (etag.rfind("W/", 0) == 0) etag.clear(); // a weak tag is no hash
      if (etag.size() == 64 && etag.find_first_not_of("0123456789abcdef") == std::string::npos) f.sha256 = etag;
      std::string size = head.get("x-linked-size").empty() ? head.get("content-length") : head.get("x-linked-size");
      if (!size.empty() && size.size() < 16 && size.find_first_not_of("0123456789") == std::string::npos)
        f.size = std::stoull(size);
    }
    total += f.size;
  }
  std::vector<std::string> paths;
  uint64_t before = 0, fetched = 0;
  bool fetched_any = false;
  for (size_t i = 0; i < files->size(); ++i) {
    const auto& f = (*files)[i];
    std::string final_path = *dir + "/" + f.path;
    if (fs::exists(final_path) && (f.sha256.empty() || sha256_file(final_path) == f.sha256)) {
      say("present", f.path + " is already in the store");
    } else {
      bool verifiable = f.size > 0 && !f.sha256.empty();
      if (!verifiable && !o.allow_unverified)
        return make_error(errc::checksum_mismatch,
                          f.path + ": the server gives no " + std::string(f.sha256.empty() ? "sha256" : "size") +
                            " for it, so it cannot be verified; refused (allow_unverified_downloads=1 accepts such files)");
      say("downloading", "downloading " + f.path + " (" + (f.size ? mib(f.size) : std::string("size unknown")) + ")" +
                           (verifiable ? "" : ", unverified"));
      fetch_request r;
      r.url = hf_file_url(o.endpoint, ref->id(), f.path);
      r.dir = *dir;
      r.file = f.path;
      r.expected_size = f.size;
      r.expected_sha256 = f.sha256;
      r.max_size = unverified_max_bytes;
      if (!o.token.empty()) r.headers.push_back("Authorization: Bearer " + o.token);
      auto start = std::chrono::steady_clock::now();
      auto last = start - std::chrono::seconds(1);
      auto got = fetch_file(
        r,
        [&](const fetch_progress& p) {
          auto now = std::chrono::steady_clock::now();
          if (now - last < std::chrono::milliseconds(250) && p.done < p.total) return; // a few events a second
          last = now;
          double secs = std::chrono::duration<double>(now - start).count();
          double rate = secs > 0 ? p.done / secs : 0;
          uint64_t done = before + p.done, all = total ? total : before + p.total;
          double eta = rate > 0 && all > done ? (all - done) / rate : 0;
          say("progress", mib(done) + " of " + mib(all),
              {num_field("bytes_done", static_cast<int64_t>(done)), num_field("bytes_total", static_cast<int64_t>(all)),
               num_field("rate_bps", static_cast<int64_t>(rate)), num_field("eta_s", static_cast<int64_t>(eta)),
               text_field("file", f.path)},
              event_kind::progress);
        },
        cancel);
      if (!got) return make_error(got.error());
      if (verifiable)
        say("verifying", f.path + ": size and sha256 verified");
      else
        say("unverified", f.path + ": unverified (" + std::string(f.sha256.empty() ? "no sha256" : "no size") +
                            " from the server; accepted because allow_unverified_downloads is set)",
            {}, event_kind::narration, level::warn);
      fetched += f.size;
      fetched_any = true;
    }
    before += f.size;
    paths.push_back(final_path);
  }
  say("done", fetched_any ? "downloaded " + ref->id() + " (" + mib(fetched) + ")"
                      : ref->id() + " was already in the store and matches Hugging Face's (" + mib(total) + ")");
  return download_result{ref->id(), std::move(paths), total};
}

} // namespace

caf::actor spawn_downloader(caf::actor_system& sys, hive_actor relay, std::string model, download_options opts,
                            std::shared_ptr<std::atomic<bool>> cancel) {
  return spawn_blocking<job_result>(sys, [=](caf::event_based_actor* self) -> caf::expected<job_result> {
    auto r = download(self, relay, model, opts, *cancel);
    if (!r) return std::move(r.error());
    return job_result{std::move(*r)};
  });
}

} // namespace rbee
