#pragma once
// The OpenAI-compatible API's formats, apart from the HTTP session (no Beast
// here, so that fuzzers and tests can drive them alone): a request body translated
// into the JSON of an infer operation, the bridge's events of its job turned into
// OpenAI chunks, the whole answer, and OpenAI-shaped errors.

#include "messages/errc.hpp"
#include "messages/bridge_event.hpp"
#include "net/reasoning.hpp"

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rbee::net {

/// The OpenAI request as the JSON of an infer operation (or an error naming the field).
struct translated {
  std::string op_json;
  std::string model;
  bool stream = false;
  bool include_usage = false;
  bool split_reasoning = true; ///< reasoning_format "none" keeps a <think> block in the content
  errc code = errc::none;
  std::string message, param;
};

/// A /v1/chat/completions (chat) or /v1/completions body, translated; never throws.
translated translate(const std::string& body, bool chat);

/// The streaming state of one response, kept by the bridge's sink.
struct stream_state {
  std::string id, model;
  int64_t created = 0;
  bool chat = true;
  bool include_usage = false;
  bool started = false;
  bool split_reasoning = true; ///< chat: a leading <think> block goes to reasoning_content
  reasoning_splitter thinking;
};

/// What a stream sends for one bridge frame, and whether it ends the stream.
struct stream_piece {
  std::string text;
  bool last = false;
};

/// One event of the job, read from its typed message (a token, the job's end), as
/// OpenAI stream output (nullopt: nothing to send, e.g. narration).
std::optional<stream_piece> transform(stream_state& st, const bridge_event& e);

/// The whole (non-streaming) answer from the job's result.
std::string full_response(const stream_state& st, const infer_result& r);

/// {"error":{"message","type","param","code"}} as OpenAI clients expect.
std::string openai_error(errc code, std::string_view message, std::string_view param = {});

} // namespace rbee::net
