#include "messages/json.hpp"
#include "messages/json_put.hpp"

namespace rbee::json {

using namespace detail;

namespace {


void put(writer& w, const capabilities& x) {
  w.StartObject();
  str(w, "hostname", x.hostname);
  str(w, "os", x.os);
  str(w, "arch", x.arch);
  str(w, "cpu_model", x.cpu_model);
  num(w, "cores", x.cores);
  w.Key("simd");
  w.StartArray();
  for (auto& s : x.simd) w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
  w.EndArray();
  unum(w, "ram_total", x.ram_total);
  unum(w, "ram_available", x.ram_available);
  w.Key("gpus");
  w.StartArray();
  for (auto& g : x.gpus) {
    w.StartObject();
    num(w, "index", g.index);
    str(w, "name", g.name);
    unum(w, "memory_total", g.memory_total);
    unum(w, "memory_free", g.memory_free);
    str(w, "compute_capability", std::to_string(g.cc_major) + "." + std::to_string(g.cc_minor));
    w.EndObject();
  }
  w.EndArray();
  if (!x.cuda_note.empty()) str(w, "cuda_note", x.cuda_note);
  if (x.read_bandwidth) unum(w, "read_bandwidth", x.read_bandwidth);
  w.EndObject();
}

void put(writer& w, const hive_info& x) {
  w.StartObject();
  str(w, "hive_id", x.hive_id);
  str(w, "version", x.version);
  str(w, "state", to_string(x.state));
  w.Key("local");
  w.Bool(x.local);
  unum(w, "epoch", x.epoch);
  num(w, "joined_ms", x.joined_ms);
  num(w, "last_seen_ms", x.last_seen_ms);
  if (!x.lost_reason.empty()) str(w, "lost_reason", x.lost_reason);
  w.Key("capabilities");
  put(w, x.caps);
  w.EndObject();
}

void put(writer& w, const job_info& x) {
  w.StartObject();
  str(w, "job_id", x.job_id);
  str(w, "operation", x.operation);
  if (!x.hive_id.empty()) str(w, "hive_id", x.hive_id);
  str(w, "state", to_string(x.state));
  num(w, "created_ms", x.created_ms);
  if (x.started_ms) num(w, "started_ms", x.started_ms);
  if (x.finished_ms) num(w, "finished_ms", x.finished_ms);
  if (x.state == job_state::completed && !caf::holds_alternative<no_result>(x.result)) {
    auto result = write(x.result); // our writer's output
    w.Key("result");
    w.RawValue(result.data(), result.size(), rapidjson::kObjectType);
  }
  if (x.error_code != errc::none) {
    w.Key("error");
    w.StartObject();
    str(w, "code", to_string(x.error_code));
    str(w, "message", x.error_message);
    w.EndObject();
  }
  w.EndObject();
}

/// A JSON number: -?digits[.digits][e[+-]digits], nothing else.
bool is_json_number(std::string_view v) {
  size_t i = 0;
  auto digits = [&] {
    size_t start = i;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i;
    return i > start;
  };
  if (i < v.size() && v[i] == '-') ++i;
  if (!digits()) return false;
  if (i < v.size() && v[i] == '.' && (++i, !digits())) return false;
  if (i < v.size() && (v[i] == 'e' || v[i] == 'E')) {
    ++i;
    if (i < v.size() && (v[i] == '+' || v[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == v.size() && v.size() <= 32;
}


} // namespace

std::string write(const narration& x) {
  return with_writer([&](writer& w) {
    w.StartObject();
    str(w, "job_id", x.job_id);
    unum(w, "seq", x.seq);
    str(w, "actor", x.actor);
    str(w, "action", x.action);
    str(w, "target", x.target);
    str(w, "human", x.human);
    str(w, "level", to_string(x.lvl));
    num(w, "timestamp_ms", x.timestamp_ms);
    if (!x.fields.empty()) {
      w.Key("fields");
      w.StartObject();
      for (auto& f : x.fields) {
        w.Key(f.key.c_str(), static_cast<rapidjson::SizeType>(f.key.size()));
        if (f.numeric && is_json_number(f.value))
          w.RawValue(f.value.data(), f.value.size(), rapidjson::kNumberType);
        else
          w.String(f.value.c_str(), static_cast<rapidjson::SizeType>(f.value.size()));
      }
      w.EndObject();
    }
    w.EndObject();
  });
}

std::string write(const job_info& x) {
  return with_writer([&](writer& w) { put(w, x); });
}

std::string write(const std::vector<job_info>& xs) {
  return with_writer([&](writer& w) {
    w.StartObject();
    w.Key("jobs");
    w.StartArray();
    for (auto& x : xs) put(w, x);
    w.EndArray();
    w.EndObject();
  });
}

std::string write(const job_accepted& x) {
  return with_writer([&](writer& w) {
    w.StartObject();
    str(w, "job_id", x.job_id);
    str(w, "sse_url", x.sse_url);
    w.EndObject();
  });
}

std::string write(const capabilities& x) {
  return with_writer([&](writer& w) { put(w, x); });
}

std::string write(const hive_info& x) {
  return with_writer([&](writer& w) { put(w, x); });
}

std::string write(const std::vector<hive_info>& xs) {
  return with_writer([&](writer& w) {
    w.StartObject();
    w.Key("hives");
    w.StartArray();
    for (auto& x : xs) put(w, x);
    w.EndArray();
    w.EndObject();
  });
}

std::string write(const cluster_status& x) {
  return with_writer([&](writer& w) {
    w.StartObject();
    str(w, "version", x.version);
    num(w, "started_ms", x.started_ms);
    unum(w, "jobs_total", x.jobs_total);
    unum(w, "jobs_active", x.jobs_active);
    w.Key("hives");
    w.StartArray();
    for (auto& h : x.hives) put(w, h);
    w.EndArray();
    w.EndObject();
  });
}

std::string write(const token_msg& x) {
  return with_writer([&](writer& w) {
    w.StartObject();
    str(w, "job_id", x.job_id);
    unum(w, "index", x.index);
    str(w, "text", x.text);
    num(w, "token_id", x.token_id);
    w.EndObject();
  });
}

std::string write(const infer_result& x) {
  return with_writer([&](writer& w) {
    w.StartObject();
    str(w, "model", x.model);
    str(w, "text", x.text);
    str(w, "finish_reason", x.finish_reason);
    w.Key("usage");
    w.StartObject();
    num(w, "prompt_tokens", x.prompt_tokens);
    num(w, "completion_tokens", x.completion_tokens);
    num(w, "total_tokens", x.prompt_tokens + x.completion_tokens);
    w.Key("prompt_tokens_details");
    w.StartObject();
    num(w, "cached_tokens", x.cached_tokens);
    w.EndObject();
    w.EndObject();
    w.Key("timings");
    w.StartObject();
    w.Key("prefill_ms");
    w.Double(x.prefill_ms);
    w.Key("decode_ms");
    w.Double(x.decode_ms);
    w.EndObject();
    w.EndObject();
  });
}

namespace {
void put(writer& w, const worker_info& x) {
  w.StartObject();
  str(w, "worker_id", x.worker_id);
  str(w, "model", x.model);
  str(w, "model_path", x.model_path);
  str(w, "hive_id", x.hive_id);
  str(w, "device", x.device);
  str(w, "state", to_string(x.state));
  num(w, "slots", x.slots);
  num(w, "busy", x.busy);
  unum(w, "memory_bytes", x.memory_bytes);
  num(w, "loaded_ms", x.loaded_ms);
  num(w, "last_used_ms", x.last_used_ms);
  num(w, "keep_alive_s", x.keep_alive_s);
  num(w, "pid", x.pid);
  w.Key("tokens_per_s");
  w.Double(x.tokens_per_s);
  if (!x.error.empty()) str(w, "error", x.error);
  w.EndObject();
}
} // namespace

std::string write(const worker_info& x) {
  return with_writer([&](writer& w) { put(w, x); });
}

std::string write(const std::vector<worker_info>& xs) {
  return with_writer([&](writer& w) {
    w.StartObject();
    w.Key("workers");
    w.StartArray();
    for (auto& x : xs) put(w, x);
    w.EndArray();
    w.EndObject();
  });
}

std::string write(const std::vector<model_entry>& xs) {
  return with_writer([&](writer& w) {
    w.StartObject();
    w.Key("models");
    w.StartArray();
    for (auto& x : xs) {
      w.StartObject();
      str(w, "name", x.name);
      str(w, "path", x.path);
      unum(w, "size", x.size);
      num(w, "modified_ms", x.modified_ms);
      str(w, "arch", x.arch);
      unum(w, "parameters", x.parameters);
      str(w, "quantization", x.quantization);
      num(w, "context_length", x.context_length);
      if (!x.error.empty()) str(w, "error", x.error);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  });
}

std::string error_body(errc code, std::string_view message) {
  return with_writer([&](writer& w) {
    w.StartObject();
    w.Key("error");
    w.StartObject();
    str(w, "code", to_string(code));
    str(w, "message", message);
    w.EndObject();
    w.EndObject();
  });
}

std::string write_field(const char* key, std::string_view value) {
  return with_writer([&](writer& w) {
    w.StartObject();
    str(w, key, value);
    w.EndObject();
  });
}

} // namespace rbee::json
