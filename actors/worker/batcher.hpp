#pragma once
// Continuous batching for one loaded model, without any messaging: requests join
// and leave a shared batch; each step feeds prompt chunks of newcomers (chunked
// prefill) and one token of every running request through one forward pass.

#include "kernels/context.hpp"
#include "kernels/generate.hpp"
#include "kernels/sampler.hpp"
#include "kernels/stop_filter.hpp"
#include "kernels/tokenizer.hpp"
#include "messages/errc_code.hpp"
#include "messages/worker.hpp"

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rbee {

class batcher {
public:
  struct options {
    int slots = 4;        ///< sequences decoded together
    int n_ctx = 0;        ///< per slot (0: the model's, at most 4096)
    int prefill_chunk = 64; ///< prompt tokens of one request per step
    std::string device = "cpu"; ///< cpu, cuda:N
  };

  /// What a step produced for one request.
  struct event {
    std::string id;
    bool done = false;
    uint32_t index = 0;      ///< token events
    int32_t token = -1;
    std::string text;
    infer_result result;     ///< done events
  };

  static kernels::result<std::unique_ptr<batcher>> create(std::shared_ptr<const kernels::model> m,
                                                           std::shared_ptr<const kernels::tokenizer> t, options o);

  /// Queues a request; an error (empty prompt, prompt longer than a slot's
  /// context) is returned at once and nothing is queued.
  std::optional<failure> add(std::string id, std::vector<int32_t> prompt, kernels::generate_params p);

  /// Ends a request now; its done event (finish "cancelled") comes with the next step.
  bool cancel(const std::string& id);

  bool busy() const { return !waiting_.empty() || active_count() > 0 || !finished_.empty(); }
  int active_count() const;
  int slots() const { return static_cast<int>(slots_.size()); }
  int n_ctx() const { return ctx_->n_ctx(); }

  /// Runs one step; an engine error fails every running request.
  std::vector<event> step();

private:
  struct request {
    std::string id;
    std::vector<int32_t> prompt;
    kernels::generate_params params;
    size_t fed = 0;
    int generated = 0;
    int32_t last = -1;
    std::unique_ptr<kernels::sampler> smp;
    std::unique_ptr<kernels::stop_filter> stops;
    kernels::detokenizer detok;
    std::string text;
    double prefill_ms = 0, decode_ms = 0;
    int64_t started_us = 0, first_token_us = 0;
  };
  batcher() = default;
  event finish(request& r, const std::string& reason);

  std::shared_ptr<const kernels::model> model_;
  std::shared_ptr<const kernels::tokenizer> tok_;
  std::unique_ptr<kernels::context> ctx_;
  options opts_;
  std::deque<std::unique_ptr<request>> waiting_;
  std::vector<std::unique_ptr<request>> slots_; ///< null: free
  std::vector<event> finished_;                 ///< cancelled between steps
};

} // namespace rbee
