#pragma once
// Continuous batching for one loaded model, without any messaging: the worker's
// model, tokenizer and many-slot context around the one generation loop
// (kernels/batch.hpp, which `rbee generate` and the golden tests run too), its
// events as the worker's messages want them.

#include "kernels/batch.hpp"
#include "kernels/context.hpp"
#include "kernels/tokenizer.hpp"
#include "messages/errc_code.hpp"
#include "messages/worker.hpp"

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
    bool prompt_cache = true; ///< see kernels::batch_options
    int prompt_cache_mib = 512; ///< caches kept beyond the slots (kernels::batch_options::prompt_cache_bytes)
  };

  /// What a step produced for one request.
  struct event {
    std::string id;
    bool done = false;
    uint32_t index = 0;      ///< token events
    int32_t token = -1;
    std::string text;
    kernels::finish_reason reason = kernels::finish_reason::length; ///< done events
    infer_result result;     ///< done events (finish_reason as text)
  };

  static kernels::result<std::unique_ptr<batcher>> create(std::shared_ptr<const kernels::model> m,
                                                           std::shared_ptr<const kernels::tokenizer> t, options o);

  /// Queues a request; an error (empty prompt, prompt longer than a slot's
  /// context) is returned at once and nothing is queued.
  std::optional<failure> add(std::string id, std::vector<int32_t> prompt, kernels::generate_params p);

  /// Ends a request now; its done event (finish "cancelled") comes with the next step.
  bool cancel(const std::string& id);

  bool busy() const { return batch_->busy(); }
  int active_count() const { return batch_->active_count(); }
  int slots() const { return ctx_->n_slots(); }
  int n_ctx() const { return ctx_->n_ctx(); }

  /// Runs one step; an engine error fails every running request.
  std::vector<event> step();

private:
  batcher() = default;

  std::shared_ptr<const kernels::model> model_;
  std::shared_ptr<const kernels::tokenizer> tok_;
  std::unique_ptr<kernels::context> ctx_;
  std::unique_ptr<kernels::batch> batch_; ///< the one generation loop, over ctx_
};

} // namespace rbee
