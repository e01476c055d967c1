// The JSON form of job results (messages/results.hpp): what GET /v1/jobs/{id}
// and a job stream's done event carry under "result".
#include "messages/json.hpp"
#include "json/parse.hpp"
#include "messages/json_put.hpp"

#include <rapidjson/document.h>

namespace rbee::json {

using namespace detail;

namespace {

void put(writer& w, const installed_worker& x) {
  w.StartObject();
  str(w, "worker_id", x.id);
  str(w, "version", x.version);
  str(w, "backend", x.backend);
  str(w, "sha256", x.sha256);
  str(w, "path", x.path);
  w.EndObject();
}

} // namespace

std::string write(const installed_worker& x) {
  return with_writer([&](writer& w) { put(w, x); });
}

std::string write(const std::vector<installed_worker>& xs) {
  return with_writer([&](writer& w) {
    w.StartArray();
    for (auto& x : xs) put(w, x);
    w.EndArray();
  });
}

std::string write(const job_value& v) {
  return caf::visit(
    overload{
      [](const no_result&) { return std::string(); },
      [](const catalog_answer& x) { return x.json; }, // written by our writer when it arrived
      [](const action_result& x) { return write_field(x.verb.c_str(), x.what); },
      [](const download_result& x) {
        return with_writer([&](writer& w) {
          w.StartObject();
          str(w, "model", x.model);
          w.Key("files");
          w.StartArray();
          for (auto& f : x.files) w.String(f);
          w.EndArray();
          w.Key("bytes");
          w.Uint64(x.bytes);
          w.EndObject();
        });
      },
      [](const auto_run_result& x) {
        return with_writer([&](writer& w) {
          w.StartObject();
          str(w, "worker_id", x.worker_id);
          str(w, "model", x.model);
          str(w, "hive_id", x.hive_id);
          str(w, "endpoint", x.endpoint);
          str(w, "model_path", x.model_path);
          str(w, "worker", x.worker);
          str(w, "backend", x.backend);
          w.EndObject();
        });
      },
      [](const auto& x) { return write(x); }},
    v);
}

caf::expected<catalog_answer> read_catalog_answer(std::string_view body) {
  rapidjson::Document d;
  std::string error;
  if (!parse(d, body, &error)) return make_error(errc::bad_request, "the worker catalog's answer is not JSON: " + error);
  if (!d.IsObject() && !d.IsArray())
    return make_error(errc::bad_request, "the worker catalog's answer is not a JSON object or array");
  return catalog_answer{with_writer([&](writer& w) { d.Accept(w); })};
}

} // namespace rbee::json
