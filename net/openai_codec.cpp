#include "net/openai_codec.hpp"

#include "json/parse.hpp"
#include "json/writer.hpp"
#include "net/http_error.hpp"
#include "net/sse_parser.hpp"

namespace rbee::net {

namespace {

using doc = rapidjson::Document;
using value = rapidjson::Value;

std::string to_json(const value& v) {
  rapidjson::StringBuffer buf;
  rbee::json::writer w(buf);
  v.Accept(w);
  return buf.GetString();
}

/// "5m", "300s", "1h", "120" -> seconds; -2 when malformed.
int64_t parse_keep_alive(const value& v) {
  if (v.IsInt64()) return v.GetInt64() < 0 ? -1 : v.GetInt64();
  if (!v.IsString()) return -2;
  std::string s = v.GetString();
  if (s.empty() || s.size() > 12) return -2;
  int64_t mult = 1;
  char unit = s.back();
  if (unit == 's' || unit == 'm' || unit == 'h') {
    mult = unit == 's' ? 1 : unit == 'm' ? 60 : 3600;
    s.pop_back();
  }
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) return -2;
  return std::stoll(s) * mult;
}

std::string finish_of(const std::string& reason) {
  return reason == "length" || reason == "context" ? "length" : "stop";
}

using json_writer = rbee::json::writer;

/// The fields every OpenAI response object starts with.
void head(json_writer& w, const stream_state& st, const char* object) {
  w.Key("id");
  w.String(st.id.c_str());
  w.Key("object");
  w.String(object);
  w.Key("created");
  w.Int64(st.created);
  w.Key("model");
  w.String(st.model.c_str(), static_cast<rapidjson::SizeType>(st.model.size()));
  w.Key("system_fingerprint");
  w.String("rbee");
}

/// The one choice of an answer: `holder` ("delta" in a chunk, "message" in the whole
/// answer) with the role when `role`, the reasoning when not empty and the content when
/// `content`; completions write "text" instead. Then logprobs (null) and the finish
/// reason (null while streaming).
void choice(json_writer& w, const stream_state& st, const char* holder, bool role, const std::string* content,
            const char* finish, const std::string& reasoning = {}) {
  w.Key("choices");
  w.StartArray();
  w.StartObject();
  w.Key("index");
  w.Int(0);
  static const std::string none;
  const std::string& text = content ? *content : none;
  if (st.chat) {
    w.Key(holder);
    w.StartObject();
    if (role) {
      w.Key("role");
      w.String("assistant");
    }
    if (!reasoning.empty()) {
      w.Key("reasoning_content");
      w.String(reasoning);
    }
    if (content) {
      w.Key("content");
      w.String(text);
    }
    w.EndObject();
  } else {
    w.Key("text");
    w.String(text);
  }
  w.Key("logprobs");
  w.Null();
  w.Key("finish_reason");
  if (finish) w.String(finish); else w.Null();
  w.EndObject();
  w.EndArray();
}

std::string chunk(const stream_state& st, const std::string& text, const char* finish, bool role,
                  const std::string& reasoning = {}) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  head(w, st, st.chat ? "chat.completion.chunk" : "text_completion");
  const bool content = !finish && (!text.empty() || reasoning.empty());
  choice(w, st, "delta", role, content ? &text : nullptr, finish, reasoning);
  w.EndObject();
  return "data: " + std::string(buf.GetString()) + "\n\n";
}

/// {"prompt_tokens","completion_tokens","total_tokens","prompt_tokens_details"} of a generation ({} without one).
void usage(json_writer& w, const infer_result* r) {
  w.StartObject();
  if (r) {
    w.Key("prompt_tokens");
    w.Int(r->prompt_tokens);
    w.Key("completion_tokens");
    w.Int(r->completion_tokens);
    w.Key("total_tokens");
    w.Int(r->prompt_tokens + r->completion_tokens);
    w.Key("prompt_tokens_details"); // OpenAI's: what the prompt cache saved
    w.StartObject();
    w.Key("cached_tokens");
    w.Int(r->cached_tokens);
    w.EndObject();
  }
  w.EndObject();
}

} // namespace

std::string openai_error(errc code, std::string_view message, std::string_view param) {
  rapidjson::StringBuffer buf;
  rbee::json::writer w(buf);
  w.StartObject();
  w.Key("error");
  w.StartObject();
  w.Key("message");
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  w.Key("type");
  w.String(status_for(code) >= 500 ? "server_error" : "invalid_request_error");
  w.Key("param");
  if (param.empty()) w.Null(); else w.String(param.data(), static_cast<rapidjson::SizeType>(param.size()));
  w.Key("code");
  auto c = to_string(code);
  w.String(c.data(), static_cast<rapidjson::SizeType>(c.size()));
  w.EndObject();
  w.EndObject();
  return buf.GetString();
}

translated translate(const std::string& body, bool chat) {
  translated t;
  auto bad = [&](std::string msg, std::string param) {
    t.code = errc::bad_request;
    t.message = std::move(msg);
    t.param = std::move(param);
    return t;
  };
  doc in;
  std::string why;
  if (!rbee::json::parse(in, body, &why)) return bad("the body is not JSON: " + why, "");
  if (!in.IsObject()) return bad("the body must be a JSON object", "");
  doc op(rapidjson::kObjectType);
  auto& a = op.GetAllocator();
  op.AddMember("operation", "infer", a);
  auto m = in.FindMember("model");
  if (m == in.MemberEnd() || !m->value.IsString()) return bad("'model' is required and must be a string", "model");
  t.model = m->value.GetString();
  op.AddMember("model", value(m->value, a), a);
  if (chat) {
    auto msgs = in.FindMember("messages");
    if (msgs == in.MemberEnd() || !msgs->value.IsArray() || msgs->value.Empty())
      return bad("'messages' must be a non-empty array", "messages");
    value out(rapidjson::kArrayType);
    for (auto& msg : msgs->value.GetArray()) {
      if (!msg.IsObject() || !msg.HasMember("role") || !msg["role"].IsString() || !msg.HasMember("content"))
        return bad("each message needs a 'role' and a 'content'", "messages");
      std::string content;
      const auto& c = msg["content"];
      if (c.IsString()) {
        content = c.GetString();
      } else if (c.IsArray()) { // content parts: the text ones
        for (auto& part : c.GetArray()) {
          if (!part.IsObject() || !part.HasMember("type") || !part["type"].IsString())
            return bad("content parts need a 'type'", "messages");
          if (std::string(part["type"].GetString()) != "text" || !part.HasMember("text") || !part["text"].IsString())
            return bad("only text content parts are supported", "messages");
          content += part["text"].GetString();
        }
      } else if (!c.IsNull()) {
        return bad("'content' must be a string or an array of text parts", "messages");
      }
      value one(rapidjson::kObjectType);
      one.AddMember("role", value(msg["role"], a), a);
      one.AddMember("content", value(content.c_str(), static_cast<rapidjson::SizeType>(content.size()), a), a);
      out.PushBack(one, a);
    }
    op.AddMember("messages", out, a);
  } else {
    auto p = in.FindMember("prompt");
    if (p == in.MemberEnd()) return bad("'prompt' is required", "prompt");
    if (p->value.IsArray() && p->value.Size() == 1 && p->value[0].IsString())
      op.AddMember("prompt", value(p->value[0], a), a);
    else if (p->value.IsString())
      op.AddMember("prompt", value(p->value, a), a);
    else
      return bad("'prompt' must be a string", "prompt");
  }
  auto copy = [&](const char* from, const char* to) {
    auto it = in.FindMember(from);
    if (it != in.MemberEnd() && !it->value.IsNull()) op.AddMember(value(to, a), value(it->value, a), a);
  };
  copy("max_tokens", "max_tokens");
  if (!op.HasMember("max_tokens")) copy("max_completion_tokens", "max_tokens");
  if (!op.HasMember("max_tokens")) op.AddMember("max_tokens", 1 << 20, a); // until EOS or the context ends
  for (const char* k : {"temperature", "top_p", "top_k", "min_p", "seed", "frequency_penalty", "presence_penalty"})
    copy(k, k);
  copy("repeat_penalty", "repetition_penalty");
  copy("hive_id", "hive_id"); // rbee: run on this hive
  if (auto st = in.FindMember("stop"); st != in.MemberEnd() && !st->value.IsNull()) {
    value arr(rapidjson::kArrayType);
    if (st->value.IsString())
      arr.PushBack(value(st->value, a), a);
    else if (st->value.IsArray())
      arr.CopyFrom(st->value, a);
    else
      return bad("'stop' must be a string or an array of strings", "stop");
    op.AddMember("stop", arr, a);
  }
  if (auto ka = in.FindMember("keep_alive"); ka != in.MemberEnd()) {
    int64_t secs = parse_keep_alive(ka->value);
    if (secs < -1) return bad("'keep_alive' must be seconds or a duration like \"5m\"", "keep_alive");
    op.AddMember("keep_alive", secs, a);
  }
  // Thinking (Qwen3 and the like): off unless asked, as Ollama's `think`, llama.cpp's
  // chat_template_kwargs.enable_thinking or a top-level enable_thinking ask.
  bool think = false;
  for (const char* k : {"think", "enable_thinking"})
    if (auto it = in.FindMember(k); it != in.MemberEnd() && !it->value.IsNull()) {
      if (!it->value.IsBool()) return bad(std::string("'") + k + "' must be a boolean", k);
      think = it->value.GetBool();
    }
  if (auto kw = in.FindMember("chat_template_kwargs"); kw != in.MemberEnd() && !kw->value.IsNull()) {
    if (!kw->value.IsObject()) return bad("'chat_template_kwargs' must be an object", "chat_template_kwargs");
    if (auto it = kw->value.FindMember("enable_thinking"); it != kw->value.MemberEnd()) {
      if (!it->value.IsBool()) return bad("'enable_thinking' must be a boolean", "chat_template_kwargs");
      think = it->value.GetBool();
    }
  }
  if (think) op.AddMember("think", true, a);
  if (auto rf = in.FindMember("reasoning_format"); rf != in.MemberEnd() && !rf->value.IsNull()) {
    std::string f = rf->value.IsString() ? rf->value.GetString() : "";
    if (f != "none" && f != "deepseek" && f != "auto")
      return bad("'reasoning_format' must be \"none\", \"auto\" or \"deepseek\"", "reasoning_format");
    t.split_reasoning = f != "none";
  }
  if (auto n = in.FindMember("n"); n != in.MemberEnd() && !(n->value.IsInt() && n->value.GetInt() == 1))
    return bad("only n = 1 is supported", "n");
  if (auto s = in.FindMember("stream"); s != in.MemberEnd()) {
    if (!s->value.IsBool()) return bad("'stream' must be a boolean", "stream");
    t.stream = s->value.GetBool();
  }
  if (auto so = in.FindMember("stream_options"); so != in.MemberEnd() && so->value.IsObject())
    t.include_usage = so->value.HasMember("include_usage") && so->value["include_usage"].IsBool() &&
                      so->value["include_usage"].GetBool();
  t.op_json = to_json(op);
  return t;
}

std::optional<stream_piece> transform(stream_state& st, const bridge_event& e) {
  if (e.token) {
    split_text piece;
    if (st.chat && st.split_reasoning) piece = st.thinking.feed(e.token->text);
    else piece.content = e.token->text;
    if (piece.empty() && st.started) return std::nullopt;
    bool role = !st.started;
    st.started = true;
    return stream_piece{chunk(st, piece.content, nullptr, role, piece.reasoning), false};
  }
  if (!e.job || !is_terminal(e.job->state)) return std::nullopt; // state and narration: not part of OpenAI's stream
  const job_info& j = *e.job;
  if (j.state == job_state::cancelled) return stream_piece{"data: [DONE]\n\n", true};
  if (j.state == job_state::failed) {
    auto code = j.error_code == errc::none ? errc::internal : j.error_code;
    auto message = j.error_message.empty() ? std::string("generation failed") : j.error_message;
    return stream_piece{"data: " + openai_error(code, message) + "\n\ndata: [DONE]\n\n", true};
  }
  const auto* r = caf::get_if<infer_result>(&j.result);
  std::string reason = r ? finish_of(r->finish_reason) : "stop";
  std::string out;
  if (st.chat && st.split_reasoning) // what the splitter held back (a cut-off tag, trailing reasoning)
    if (auto rest = st.thinking.finish(); !rest.empty()) {
      out += chunk(st, rest.content, nullptr, !st.started, rest.reasoning);
      st.started = true;
    }
  out += chunk(st, "", reason.c_str(), !st.started);
  if (st.include_usage) { // the usage chunk: no choices, the usage object
    rapidjson::StringBuffer buf;
    json_writer w(buf);
    w.StartObject();
    head(w, st, st.chat ? "chat.completion.chunk" : "text_completion");
    w.Key("choices");
    w.StartArray();
    w.EndArray();
    w.Key("usage");
    usage(w, r);
    w.EndObject();
    out += "data: " + std::string(buf.GetString()) + "\n\n";
  }
  return stream_piece{out + "data: [DONE]\n\n", true};
}

std::string full_response(const stream_state& st, const infer_result& r) {
  std::string reason = finish_of(r.finish_reason);
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  head(w, st, st.chat ? "chat.completion" : "text_completion");
  if (st.chat && st.split_reasoning) {
    auto parts = split_reasoning(r.text);
    choice(w, st, "message", true, &parts.content, reason.c_str(), parts.reasoning);
  } else {
    choice(w, st, "message", true, &r.text, reason.c_str());
  }
  w.Key("usage");
  usage(w, &r);
  w.EndObject();
  return buf.GetString();
}

} // namespace rbee::net
