// `rbee marketplace build --out DIR [--models LIST | --top N]`: a static site
// of model pages (SEO: title, description, canonical URL, JSON-LD, sitemap,
// robots.txt) whose "Run with rbee" button opens rbee://run/... when rbee
// answers on the visitor's machine and otherwise shows how to install it.
#include "io/atomic_file.hpp"
#include "cli/hf_market.hpp"
#include "cli/app.hpp"
#include "json/parse.hpp"
#include "json/writer.hpp"
#include "messages/errc.hpp"
#include "messages/rbee_url.hpp"
#include "cli/commands.hpp"

#include <CLI/CLI.hpp>
#include <rapidjson/document.h>

#include <cstdio>
#include <filesystem>
#include <sstream>

namespace rbee::cli {

namespace {

namespace fs = std::filesystem;

std::string html(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string str(const rapidjson::Value& v, const char* k) {
  return v.IsObject() && v.HasMember(k) && v[k].IsString() ? v[k].GetString() : "";
}

int64_t num(const rapidjson::Value& v, const char* k) {
  return v.IsObject() && v.HasMember(k) && v[k].IsNumber() ? static_cast<int64_t>(v[k].GetDouble()) : 0;
}

std::string size_text(double b) {
  char out[32];
  std::snprintf(out, sizeof(out), b >= 1 << 30 ? "%.1f GiB" : "%.0f MiB", b >= 1 << 30 ? b / (1 << 30) : b / (1 << 20));
  return out;
}

/// JSON-LD for a model page (schema.org SoftwareApplication), safe inside <script>.
std::string json_ld(const rapidjson::Value& m, const std::string& url) {
  rapidjson::StringBuffer buf;
  rbee::json::writer w(buf);
  auto kv = [&](const char* k, const std::string& v) {
    w.Key(k);
    w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
  };
  w.StartObject();
  kv("@context", "https://schema.org");
  kv("@type", "SoftwareApplication");
  kv("name", str(m, "id"));
  kv("applicationCategory", "Large language model (GGUF)");
  kv("url", url);
  kv("sameAs", "https://huggingface.co/" + str(m, "id"));
  kv("author", str(m, "author"));
  if (!str(m, "license").empty()) kv("license", str(m, "license"));
  w.Key("interactionStatistic");
  w.StartObject();
  kv("@type", "InteractionCounter");
  kv("interactionType", "https://schema.org/DownloadAction");
  w.Key("userInteractionCount");
  w.Int64(num(m, "downloads"));
  w.EndObject();
  w.EndObject();
  std::string out = buf.GetString();
  for (size_t at = out.find("</"); at != std::string::npos; at = out.find("</", at + 3)) out.replace(at, 2, "<\\/");
  return out;
}

const char* page_style =
  "body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#1d1c1a;background:#fbfaf7}"
  "a{color:#8a5d00}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem;border-bottom:1px solid #e3dfd6}"
  ".run{font-size:1.1rem;padding:.6rem 1.2rem;border-radius:8px;border:0;background:#c98a00;color:#fff;cursor:pointer}"
  "dialog{border:1px solid #e3dfd6;border-radius:10px;max-width:34rem}pre{background:#111;color:#eee;padding:.6rem;border-radius:6px;overflow:auto;white-space:pre-wrap}"
  ".muted{color:#6b6760}.tag{background:#e3dfd6;border-radius:4px;padding:0 .4rem;margin:.1rem;display:inline-block;font-size:.8rem}";

/// The button's script: is rbee answering on this machine? Then rbee://, else the install modal.
std::string run_script(const std::string& rbee_url) {
  return R"JS(// "Run with rbee": opens the rbee:// link when rbee answers on this machine,
// otherwise explains how to install it.
(function () {
  var rbee = document.documentElement.dataset.rbee || ')JS" + rbee_url + R"JS(';
  function answers() {
    var ctl = new AbortController();
    var t = setTimeout(function () { ctl.abort(); }, 1500);
    return fetch(rbee + '/health', { mode: 'no-cors', signal: ctl.signal, cache: 'no-store' })
      .then(function () { clearTimeout(t); return true; }, function () { clearTimeout(t); return false; });
  }
  document.querySelectorAll('[data-rbee-link]').forEach(function (btn) {
    btn.addEventListener('click', function () {
      var link = btn.getAttribute('data-rbee-link');
      var status = document.getElementById('rbee-status');
      status.textContent = 'Looking for rbee on this machine…';
      answers().then(function (up) {
        if (up) {
          var a = document.getElementById('rbee-open');
          a.href = link;
          a.hidden = false;
          status.textContent = 'Opening rbee…';
          document.body.dataset.rbee = 'found';
          window.location.assign(link);
        } else {
          status.textContent = '';
          document.body.dataset.rbee = 'missing';
          document.getElementById('install-modal').showModal();
        }
      });
    });
  });
  var back = document.getElementById('install-back');
  if (back) back.addEventListener('click', function () { document.getElementById('install-modal').close(); });
})();
)JS";
}

const char* install_modal =
  "<dialog id=\"install-modal\" aria-labelledby=\"install-title\"><h2 id=\"install-title\">Install rbee to run this model</h2>"
  "<p>rbee did not answer on this machine. Install it, start it, then come back and click again.</p>"
  "<h3>Debian / Ubuntu</h3><pre>cd rbee                        # rbee's source tree\n"
  "./scripts/run.sh               # installs the packages it needs, builds, serves on 127.0.0.1:8500\n"
  "build/rbee protocol register   # rbee:// links open rbee</pre>"
  "<h3>Arch Linux</h3><pre>sudo pacman -S --needed base-devel cmake ninja boost rapidjson cli11 spdlog fmt libarchive bubblewrap\n"
  "yay -S caf                     # CAF from the AUR\n"
  "cd rbee &amp;&amp; cmake -B build -G Ninja &amp;&amp; ninja -C build\nbuild/rbee serve &amp;\nbuild/rbee protocol register</pre>"
  "<p><button id=\"install-back\" type=\"button\">Back to the model</button></p></dialog>";

std::string model_page(const rapidjson::Value& m, const std::string& site, const std::string& rbee_url) {
  std::string id = str(m, "id"), url = site + "/models/" + id + "/";
  std::string license = str(m, "license");
  std::string desc = id + ": a GGUF model from Hugging Face (" + std::to_string(num(m, "downloads")) + " downloads" +
                     (license.empty() ? "" : ", licence " + license) + "). Run it locally with one click with rbee.";
  std::ostringstream o;
  o << "<!doctype html>\n<html lang=\"en\" data-rbee=\"" << html(rbee_url) << "\"><head><meta charset=\"utf-8\">"
    << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    << "<title>" << html(id) << " — run locally with rbee</title>"
    << "<meta name=\"description\" content=\"" << html(desc) << "\">"
    << "<link rel=\"canonical\" href=\"" << html(url) << "\">"
    << "<meta property=\"og:title\" content=\"" << html(id) << "\"><meta property=\"og:url\" content=\"" << html(url) << "\">"
    << "<link rel=\"stylesheet\" href=\"../../../style.css\">"
    << "<script type=\"application/ld+json\">" << json_ld(m, url) << "</script></head><body>"
    << "<p><a href=\"../../../index.html\">← all models</a></p><h1>" << html(id) << "</h1>"
    << "<p class=\"muted\">" << num(m, "downloads") << " downloads · " << num(m, "likes") << " likes"
    << (license.empty() ? "" : " · licence " + html(license)) << "</p>"
    << "<p><button class=\"run\" id=\"run-with-rbee\" type=\"button\" data-rbee-link=\"rbee://run/model/huggingface/" << html(id)
    << "\">Run with rbee</button> <span id=\"rbee-status\" class=\"muted\" role=\"status\"></span> "
    << "<a id=\"rbee-open\" hidden>open in rbee</a></p><h2>Files</h2><table><tr><th>File</th><th>Quantization</th><th>Size</th></tr>";
  if (m.HasMember("files") && m["files"].IsArray())
    for (auto& f : m["files"].GetArray())
      o << "<tr><td>" << html(str(f, "path")) << "</td><td>" << html(str(f, "quantization")) << "</td><td>"
        << size_text(static_cast<double>(num(f, "size"))) << "</td></tr>";
  o << "</table>" << install_modal << "<script src=\"../../../rbee-run.js\"></script></body></html>\n";
  return o.str();
}

bool write(const std::string& path, const std::string& text) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (auto r = write_file_atomic(path, text, 0644); !r) {
    std::fprintf(stderr, "rbee: cannot write %s: %s\n", path.c_str(), r.error().message.c_str());
    return false;
  }
  return true;
}

} // namespace

int cmd_marketplace_build(const config::settings& s, const marketplace_args& a) {
  std::vector<std::string> ids;
  if (!a.models.empty()) {
    std::stringstream list(a.models);
    for (std::string id; std::getline(list, id, ',');)
      if (!id.empty()) ids.push_back(id);
  } else {
    auto cards = market_search(s.hf_endpoint, s.hf_token, market_query{"", "downloads", a.top});
    if (!cards) {
      std::fprintf(stderr, "rbee: %s\n", message_of(cards.error()).c_str());
      return failure;
    }
    rapidjson::Document d;
    if (!rbee::json::parse(d, *cards) || !d.IsArray()) {
      std::fprintf(stderr, "rbee: Hugging Face answered something that is not a list of models\n");
      return failure;
    }
    for (auto& c : d.GetArray())
      if (c.IsObject()) ids.push_back(str(c, "id"));
  }
  std::string site = a.site;
  while (!site.empty() && site.back() == '/') site.pop_back();
  std::string index, sitemap;
  int written = 0;
  for (auto& id : ids) {
    std::string why;
    if (!parse_rbee_url("rbee://run/model/huggingface/" + id, why)) { // the id becomes a path and a link
      std::fprintf(stderr, "rbee: skipping '%s': %s\n", id.substr(0, 100).c_str(), why.c_str());
      continue;
    }
    auto info = market_model(s.hf_endpoint, s.hf_token, id);
    if (!info) {
      std::fprintf(stderr, "rbee: skipping %s: %s\n", id.c_str(), message_of(info.error()).c_str());
      continue;
    }
    rapidjson::Document m;
    rbee::json::parse(m, *info);
    if (!write(a.out + "/models/" + id + "/index.html", model_page(m, site, a.rbee_url))) return failure;
    index += "<li><a href=\"models/" + html(id) + "/index.html\">" + html(id) + "</a> <span class=\"muted\">" +
             std::to_string(num(m, "downloads")) + " downloads</span></li>";
    sitemap += "  <url><loc>" + html(site + "/models/" + id + "/") + "</loc></url>\n";
    ++written;
    std::printf("wrote models/%s/index.html\n", id.c_str());
  }
  bool ok_all = write(a.out + "/index.html",
                      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                      "<title>Models to run locally with rbee</title><meta name=\"description\" content=\"GGUF models you can run on your own machine with rbee, one click each.\">"
                      "<link rel=\"canonical\" href=\"" + html(site) + "/\"><link rel=\"stylesheet\" href=\"style.css\"></head><body>"
                      "<h1>Models to run locally with rbee</h1><ul>" + index + "</ul></body></html>\n") &&
                write(a.out + "/sitemap.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n  <url><loc>" +
                                                html(site) + "/</loc></url>\n" + sitemap + "</urlset>\n") &&
                write(a.out + "/robots.txt", "User-agent: *\nAllow: /\nSitemap: " + site + "/sitemap.xml\n") &&
                write(a.out + "/style.css", page_style) && write(a.out + "/rbee-run.js", run_script(a.rbee_url));
  if (!ok_all) return failure;
  std::printf("%d model pages in %s\n", written, a.out.c_str());
  return written > 0 ? ok : failure;
}

namespace {

const bool registered = register_command({220, [](CLI::App& app, common_flags&, command_runs& runs) {
  auto mk = std::make_shared<marketplace_args>();
  auto* marketplace = app.add_subcommand("marketplace", "the static model marketplace site");
  marketplace->require_subcommand(1);
  auto* build = marketplace->add_subcommand("build", "write model pages from the Hugging Face API (HF_ENDPOINT)");
  build->add_option("--out", mk->out, "the output directory")->required();
  auto* models = build->add_option("--models", mk->models, "org/repo,org/repo,... (default: the top N GGUF models)");
  build->add_option("--top", mk->top, "the N most downloaded GGUF models (default 20)")->check(CLI::Range(1, 100))->excludes(models);
  build->add_option("--site", mk->site, "the site's public URL, for canonical links and the sitemap");
  build->add_option("--rbee-url", mk->rbee_url, "where the button looks for a running rbee (default http://127.0.0.1:8500)");
  runs.emplace_back(build, with_client_settings([mk](const config::settings& s) { return cmd_marketplace_build(s, *mk); }));
}});

} // namespace

} // namespace rbee::cli
