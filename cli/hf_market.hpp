#pragma once
// The marketplace's view of Hugging Face: GGUF model cards from a search
// (GET {endpoint}/api/models?search=&filter=gguf&sort=&limit=&expand[]=...) and
// one model's page (info + files with sizes and quantizations), as the JSON
// the dashboard and `rbee marketplace build` use. Plain code (blocking HTTP).

#include <caf/expected.hpp>

#include <string>

namespace rbee {

struct market_query {
  std::string search;            ///< 0-100 of [A-Za-z0-9 ._/-]
  std::string sort = "downloads"; ///< downloads | trending | likes
  int limit = 30;                ///< 1-100
};

/// errc::invalid_value naming the field, or none.
caf::error check_market_query(const market_query& q);

/// A JSON array of cards: {id, author, downloads, likes, license, pipeline_tag,
/// quantizations[], gguf_files, parameters}. Errors as hf_tree's.
caf::expected<std::string> market_search(const std::string& endpoint, const std::string& token, const market_query& q);

/// {id, author, downloads, likes, license, tags[], parameters, files: [{path,
/// size, quantization}]} for an org/repo. Errors as hf_tree's.
caf::expected<std::string> market_model(const std::string& endpoint, const std::string& token, const std::string& repo);

} // namespace rbee
