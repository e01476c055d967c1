#pragma once
// The JSON form of the messages (RapidJSON), shared by the HTTP front, the sse
// bridge and the actors that produce JSON results. It lives beside the types so
// that the binary (CAF) and the JSON wire formats change together.

#include "messages/capabilities.hpp"
#include "messages/errc.hpp"
#include "messages/hive.hpp"
#include "messages/job.hpp"
#include "messages/narration.hpp"
#include "messages/operations.hpp"
#include "messages/results.hpp"
#include "messages/worker.hpp"

#include <caf/expected.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace rbee::json {

std::string write(const narration& x);
std::string write(const job_info& x);
std::string write(const std::vector<job_info>& xs);
std::string write(const job_accepted& x);
std::string write(const capabilities& x);
std::string write(const hive_info& x);
std::string write(const std::vector<hive_info>& xs);
std::string write(const cluster_status& x);
std::string write(const operation& x);
std::string write(const token_msg& x);
std::string write(const infer_result& x);
std::string write(const worker_info& x);
std::string write(const std::vector<worker_info>& xs);
std::string write(const std::vector<model_entry>& xs);
std::string write(const installed_worker& x);
std::string write(const std::vector<installed_worker>& xs);
/// A job's result ("" for no_result); json_results.cpp.
std::string write(const job_value& x);

/// The worker catalog's answer, checked (JSON, an object or an array) and
/// written again by our writer.
caf::expected<catalog_answer> read_catalog_answer(std::string_view body);

/// {"key":"value"}: the answer of an operation that names what it did ({"stopped":"w1"}).
std::string write_field(const char* key, std::string_view value);

/// {"error":{"code":"...","message":"..."}}
std::string error_body(errc code, std::string_view message);

/// Parses one operation (POST /v1/jobs). Errors are errc::bad_request (bad JSON,
/// wrong type, missing or unknown field), errc::unknown_operation, or
/// errc::invalid_value (a value out of bounds), each naming the field.
caf::expected<operation> read_operation(std::string_view body);

/// True for ids made of [A-Za-z0-9._-], 1..64 characters, not starting with '.'.
bool valid_id(std::string_view id);

} // namespace rbee::json
