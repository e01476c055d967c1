#pragma once
// A hive actor that does nothing of interest, for the queen's tests: it answers
// every message of the hive interface, and a routed operation either never (a
// hung machine: `hang`) or with an error.
#include "messages/interfaces.hpp"

#include <caf/typed_event_based_actor.hpp>

namespace rbee::test {

inline hive_actor::behavior_type stub_hive(hive_actor::pointer self, bool hang) {
  return {
    [](caps_atom) { return capabilities{}; },
    [=](run_atom, const job_ctx&, const operation&) -> caf::result<job_result> {
      if (hang) return self->make_response_promise<job_result>(); // never delivered
      return make_error(errc::internal);
    },
    [](cancel_atom, const std::string&) {},
    [](connect_atom, const caf::actor&) {},
    [](tick_atom) {},
    [](models_atom) { return std::vector<model_entry>{}; },
    [](workers_atom) { return std::vector<worker_info>{}; },
    [](worker_up_atom, const std::string&, const std::string&, const worker_actor&) {},
    [](progress_atom, const std::string&, const narration&) {},
    [](resolve_atom, const std::string&) -> caf::result<model_entry> { return make_error(errc::model_not_found); },
    [](choose_atom, const std::string&) -> caf::result<worker_choice> { return make_error(errc::not_found); },
    [](offer_atom, const std::string&) -> caf::result<model_offer, model_source_actor> { return make_error(errc::model_not_found); },
    [](copy_atom, const job_ctx&, const model_offer&, const model_source_actor&) -> caf::result<job_result> {
      return make_error(errc::internal);
    },
  };
}

} // namespace rbee::test
