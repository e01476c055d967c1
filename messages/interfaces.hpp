#pragma once
// The typed interfaces of rbee's actors and the atoms they speak. Behaviours live
// in actors/; net/ and the CLI talk to actors only through these handles.

#include "messages/capabilities.hpp"
#include "messages/hive.hpp"
#include "messages/job.hpp"
#include "messages/model_copy.hpp"
#include "messages/narration.hpp"
#include "messages/operations.hpp"
#include "messages/bridge_event.hpp"
#include "messages/worker.hpp"

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/typed_actor.hpp>
#include <caf/replies_to.hpp>

#include <memory>
#include <string>
#include <vector>

namespace rbee {

using submit_atom = caf::atom_constant<caf::atom("submit")>;
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;
using job_atom = caf::atom_constant<caf::atom("job")>;
using jobs_atom = caf::atom_constant<caf::atom("jobs")>;
using hive_atom = caf::atom_constant<caf::atom("hive")>;
using hives_atom = caf::atom_constant<caf::atom("hives")>;
using register_atom = caf::atom_constant<caf::atom("register")>;
using heartbeat_atom = caf::atom_constant<caf::atom("heartbeat")>;
using caps_atom = caf::atom_constant<caf::atom("caps")>;
using run_atom = caf::atom_constant<caf::atom("run")>;
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using connect_atom = caf::atom_constant<caf::atom("connect")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using generate_atom = caf::atom_constant<caf::atom("generate")>;
using info_atom = caf::atom_constant<caf::atom("info")>;
using models_atom = caf::atom_constant<caf::atom("models")>;
using workers_atom = caf::atom_constant<caf::atom("workers")>;
using step_atom = caf::atom_constant<caf::atom("step")>;
using tokenized_atom = caf::atom_constant<caf::atom("tokenized")>;
using worker_up_atom = caf::atom_constant<caf::atom("worker_up")>;
using resolve_atom = caf::atom_constant<caf::atom("resolve")>;
using progress_atom = caf::atom_constant<caf::atom("progress")>;
using choose_atom = caf::atom_constant<caf::atom("choose")>;
using join_atom = caf::atom_constant<caf::atom("join")>;

/// Receives a job's (or the global feed's) SSE frames. Implemented by net/'s SSE
/// sessions; process-local only, never sent over the network.

/// A subscription: job "" is the global feed; resume after `last_event_id` when
/// `resume` is set, else replay everything kept.
struct subscription {
  std::string job_id;
  bool resume = false;
  uint64_t last_event_id = 0;
  event_sink_ptr sink;
};

/// The sse bridge: ordered per-job event logs with replay, fan-out to subscribers.
/// What the sse bridge counts (GET /metrics).
struct bridge_stats {
  uint64_t jobs_logged = 0;          ///< job event logs kept (running and recently finished)
  uint64_t subscribers = 0;          ///< SSE subscriptions, job streams and the global feed
  uint64_t tokens_total = 0;         ///< tokens generated since start (every token event)
  uint64_t download_bytes_total = 0; ///< model bytes downloaded since start (progress events)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bridge_stats& x) {
  return f(caf::meta::type_name("rbee_bridge_stats"), x.jobs_logged, x.subscribers, x.tokens_total,
           x.download_bytes_total);
}

using bridge_actor = caf::typed_actor<
  caf::reacts_to<narration>,
  caf::reacts_to<token_msg>,
  caf::reacts_to<job_info>,
  caf::reacts_to<hive_info>,
  caf::replies_to<subscribe_atom, subscription>::with<uint64_t>,
  caf::replies_to<stats_atom>::with<bridge_stats>>;

/// Passed with each operation a hive runs: where to narrate.
struct job_ctx {
  std::string job_id;
  bridge_actor bridge;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_ctx& x) {
  return f(caf::meta::type_name("rbee_job_ctx"), x.job_id, x.bridge);
}

/// A worker: one loaded model, serving generate requests (continuous batching);
/// step drives its decode loop.
using worker_actor = caf::typed_actor<
  caf::replies_to<generate_atom, job_ctx, infer_op>::with<infer_result>,
  caf::reacts_to<cancel_atom, std::string>,
  caf::replies_to<info_atom>::with<worker_info>,
  caf::reacts_to<step_atom>,
  caf::reacts_to<tokenized_atom>>;

/// What a worker process on the hive's machine may reach: the hive's loopback
/// port publishes this, not the hive. worker_up carries the worker's id and the
/// one-time secret the hive gave its process (in the environment).
using worker_gate_actor = caf::typed_actor<caf::reacts_to<worker_up_atom, std::string, std::string, worker_actor>>;

/// A hive: capabilities, the operations routed to it, and joining a queen
/// (connect carries the queen's handle, in-process, or its cluster gate; tick
/// drives heartbeats).
using hive_actor = caf::typed_actor<
  caf::replies_to<caps_atom>::with<capabilities>,
  caf::replies_to<run_atom, job_ctx, operation>::with<job_result>,
  caf::reacts_to<cancel_atom, std::string>,
  caf::reacts_to<connect_atom, caf::actor>,
  caf::reacts_to<tick_atom>,
  caf::replies_to<models_atom>::with<std::vector<model_entry>>,
  caf::replies_to<workers_atom>::with<std::vector<worker_info>>,
  caf::reacts_to<worker_up_atom, std::string, std::string, worker_actor>, ///< id, the secret it was started with
  caf::reacts_to<progress_atom, std::string, narration>, ///< a download's narration, for the jobs that follow it
  caf::replies_to<resolve_atom, std::string>::with<model_entry>,
  caf::replies_to<choose_atom, std::string>::with<worker_choice>,
  caf::replies_to<offer_atom, std::string>::with<model_offer, model_source_actor>, ///< a file to copy from here
  caf::replies_to<copy_atom, job_ctx, model_offer, model_source_actor>::with<job_result>>; ///< copy one here

/// A remote hive's channel to the queen once joined: heartbeats, always taken
/// as the joined hive's own.
using hive_link_actor = caf::typed_actor<caf::reacts_to<heartbeat_atom, hive_heartbeat>>;

/// What the queen's cluster port publishes (never the queen itself): a hive
/// joins with its id and join secret and gets the registration's answer and
/// its link.
using cluster_gate_actor = caf::typed_actor<
  caf::replies_to<join_atom, hive_join, hive_actor>::with<registration_ack, hive_link_actor>>;

/// The queen: jobs, hives, routing.
using queen_actor = caf::typed_actor<
  caf::replies_to<submit_atom, operation>::with<job_accepted>,
  caf::replies_to<cancel_atom, std::string>::with<job_info>,
  caf::replies_to<job_atom, std::string>::with<job_info>,
  caf::replies_to<jobs_atom>::with<std::vector<job_info>>,
  caf::replies_to<hives_atom>::with<std::vector<hive_info>>,
  caf::replies_to<hive_atom, std::string>::with<hive_info>,
  caf::replies_to<register_atom, hive_registration, hive_actor>::with<registration_ack>,
  caf::reacts_to<heartbeat_atom, hive_heartbeat>,
  caf::reacts_to<tick_atom>,
  caf::replies_to<models_atom>::with<std::vector<model_entry>>,
  caf::replies_to<workers_atom>::with<std::vector<worker_info>>>;

} // namespace rbee

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rbee::subscription)
