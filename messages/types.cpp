#include "messages/types.hpp"

#include "messages/errc.hpp"
#include "messages/interfaces.hpp"

#include <caf/actor_system_config.hpp>

namespace rbee {

void add_message_types(caf::actor_system_config& cfg) {
  cfg.add_error_category(errc_category, [](uint8_t code, caf::atom_value, const caf::message& ctx) {
    std::string out = "rbee::";
    out += code <= static_cast<uint8_t>(errc::internal) ? to_string(static_cast<errc>(code))
                                                        : std::string_view("unknown");
    if (!ctx.empty()) out += ": " + caf::to_string(ctx);
    return out;
  });
  cfg.add_message_type<field>("rbee_field")
    .add_message_type<narration>("rbee_narration")
    .add_message_type<job_info>("rbee_job_info")
    .add_message_type<job_accepted>("rbee_job_accepted")
    .add_message_type<job_result>("rbee_job_result")
    .add_message_type<gpu_info>("rbee_gpu_info")
    .add_message_type<capabilities>("rbee_capabilities")
    .add_message_type<hive_registration>("rbee_hive_registration")
    .add_message_type<registration_ack>("rbee_registration_ack")
    .add_message_type<hive_join>("rbee_hive_join")
    .add_message_type<model_offer>("rbee_model_offer")
    .add_message_type<model_source_actor>("rbee_model_source_actor")
    .add_message_type<hive_link_actor>("rbee_hive_link_actor")
    .add_message_type<cluster_gate_actor>("rbee_cluster_gate_actor")
    .add_message_type<worker_gate_actor>("rbee_worker_gate_actor")
    .add_message_type<hive_heartbeat>("rbee_hive_heartbeat")
    .add_message_type<hive_info>("rbee_hive_info")
    .add_message_type<cluster_status>("rbee_cluster_status")
    .add_message_type<chat_message>("rbee_chat_message")
    .add_message_type<operation>("rbee_operation")
    .add_message_type<infer_op>("rbee_infer_op")
    .add_message_type<job_ctx>("rbee_job_ctx")
    .add_message_type<bridge_actor>("rbee_bridge_actor")
    .add_message_type<hive_actor>("rbee_hive_actor")
    .add_message_type<queen_actor>("rbee_queen_actor")
    .add_message_type<worker_actor>("rbee_worker_actor")
    .add_message_type<token_msg>("rbee_token_msg")
    .add_message_type<bridge_stats>("rbee_bridge_stats")
    .add_message_type<infer_result>("rbee_infer_result")
    .add_message_type<worker_info>("rbee_worker_info")
    .add_message_type<worker_choice>("rbee_worker_choice")
    .add_message_type<std::vector<worker_info>>("rbee_worker_info_list")
    .add_message_type<model_entry>("rbee_model_entry")
    .add_message_type<std::vector<model_entry>>("rbee_model_entry_list");
}

} // namespace rbee
