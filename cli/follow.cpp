// Following a job from the terminal: submit it, draw its stream (a progress bar
// with rate and ETA on a terminal, plain lines otherwise, JSON lines for
// scripts), and turn Ctrl-C into a cancel of that job.
#include "cli/client.hpp"
#include "cli/app.hpp"
#include "json/parse.hpp"
#include "json/writer.hpp"

#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <thread>

namespace rbee::cli {

namespace {

std::string text(const rapidjson::Value& v, const char* k) {
  return v.IsObject() && v.HasMember(k) && v[k].IsString() ? v[k].GetString() : "";
}

double num(const rapidjson::Value& v, const char* k) {
  return v.IsObject() && v.HasMember(k) && v[k].IsNumber() ? v[k].GetDouble() : 0;
}

std::string size(double b) {
  char out[32];
  if (b >= 1 << 30)
    std::snprintf(out, sizeof(out), "%.2f GiB", b / (1 << 30));
  else
    std::snprintf(out, sizeof(out), "%.1f MiB", b / (1 << 20));
  return out;
}

std::string compact(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rbee::json::writer w(buf);
  v.Accept(w);
  return buf.GetString();
}

std::string pretty(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return buf.GetString();
}

} // namespace

interrupt_guard::interrupt_guard(std::function<void()> on_first) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, &old_);
  thread_ = std::thread([this, set, on_first = std::move(on_first)] {
    timespec tick{0, 50'000'000};
    int seen = 0;
    while (!stop_) {
      if (sigtimedwait(&set, nullptr, &tick) <= 0) continue;
      if (++seen == 1) {
        interrupted_ = true;
        on_first();
      } else {
        std::fprintf(stderr, "\nrbee: interrupted again; leaving (the job may still run)\n");
        std::_Exit(130);
      }
    }
  });
}

interrupt_guard::~interrupt_guard() {
  stop_ = true;
  thread_.join();
  pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

int follow_job(const client& c, const std::string& op_json, const follow_options& o) {
  auto r = net::http_call(c.u, "POST", "/v1/jobs", op_json, c.auth);
  if (r.status != 202) return report(c, r);
  rapidjson::Document d;
  rbee::json::parse(d, r.body);
  std::string id = text(d, "job_id"), url = text(d, "sse_url");
  if (id.empty() || url.empty()) {
    std::fprintf(stderr, "rbee: the queen answered something unexpected\n");
    return failure;
  }
  if (o.job_id) *o.job_id = id;
  FILE* talk = o.narration_to_stdout ? stdout : stderr;
  bool bar = !o.json && isatty(fileno(stderr));
  if (!o.json && !o.quiet) std::fprintf(stderr, "job %s\n", id.c_str());
  std::mutex out;
  bool drawn = false;
  int last_decile = -1;
  interrupt_guard guard([&] {
    std::lock_guard<std::mutex> lock(out);
    if (drawn) std::fprintf(stderr, "\n");
    drawn = false;
    std::fprintf(stderr, "rbee: Ctrl-C: cancelling job %s (again to leave at once)\n", id.c_str());
    net::http_call(c.u, "DELETE", "/v1/jobs/" + id, {}, c.auth);
  });
  int rc = failure;
  auto st = net::sse_get(c.u, url, c.auth, [&](const net::sse_event& e) {
    std::lock_guard<std::mutex> lock(out);
    rapidjson::Document ev;
    rbee::json::parse(ev, e.data);
    if (ev.HasParseError() || !ev.IsObject()) return true;
    bool end = e.event == "done" || e.event == "error" || e.event == "cancelled";
    if (o.json) {
      std::printf("{\"event\":\"%s\",\"data\":%s}\n", e.event.c_str(), compact(ev).c_str());
      std::fflush(stdout);
    } else if (e.event == "progress" && ev.HasMember("fields")) {
      auto& f = ev["fields"];
      double done = num(f, "bytes_done"), total = num(f, "bytes_total");
      double rate = num(f, "rate_bps"), eta = num(f, "eta_s");
      int pct = total > 0 ? static_cast<int>(100 * done / total) : 0;
      if (bar) {
        int filled = pct * 30 / 100;
        std::fprintf(stderr, "\r[%.*s%*s] %3d%% %s / %s  %s/s  ETA %.0fs   ", filled, "##############################",
                     30 - filled, "", pct, size(done).c_str(), size(total).c_str(), size(rate).c_str(), eta);
        drawn = true;
      } else if (pct / 10 != last_decile) { // plain lines: one per tenth
        last_decile = pct / 10;
        std::fprintf(talk, "%s %3d%% %s / %s\n", terminal_safe(text(ev, "target")).c_str(), pct, size(done).c_str(),
                     size(total).c_str());
      }
    } else {
      if (drawn) std::fprintf(stderr, "\n");
      drawn = false;
      if (e.event == "narration" && !(o.quiet && text(ev, "action") == "skip")) {
        std::string human = text(ev, "human");
        // Quiet (rbee run) leaves out the steps with nothing to do: their numbers
        // would jump ("[2/5 model]" then "[5/5 spawn]"), so the step goes by name.
        if (o.quiet && human.size() > 6 && human[0] == '[' && std::isdigit(static_cast<unsigned char>(human[1])) &&
            human[2] == '/' && std::isdigit(static_cast<unsigned char>(human[3])) && human[4] == ' ')
          human = "[" + human.substr(5);
        std::fprintf(talk, "[%-6s] %s\n", terminal_safe(text(ev, "actor")).c_str(), terminal_safe(human).c_str());
      } else if (e.event == "build_output")
        std::fprintf(talk, "  | %s\n", terminal_safe(text(ev, "human")).c_str());
    }
    if (e.event == "done") {
      rc = ok;
      if (ev.HasMember("result")) {
        if (o.on_result)
          o.on_result(compact(ev["result"]));
        else if (!o.json && !o.quiet)
          std::printf("%s\n", pretty(ev["result"]).c_str());
      }
    } else if (e.event == "error" && !o.json) {
      std::string code = ev.HasMember("error") ? text(ev["error"], "code") : "";
      std::string msg = ev.HasMember("error") ? text(ev["error"], "message") : e.data;
      if (o.on_error)
        o.on_error(code, msg);
      else
        std::fprintf(stderr, "rbee: job failed: %s: %s\n", terminal_safe(code).c_str(), terminal_safe(msg).c_str());
    } else if (e.event == "cancelled") {
      rc = cancelled;
      if (!o.json) std::fprintf(stderr, "rbee: job %s cancelled\n", id.c_str());
    }
    std::fflush(talk);
    return !end;
  }, std::chrono::minutes(10));
  if (st.status != 200) return report(c, st);
  return rc;
}

} // namespace rbee::cli
