// Getting a model onto a hive: copied over the cluster's links from another
// hive that has it (LAN copy: no second trip to the internet), else downloaded
// by the hive itself from Hugging Face. A failed copy falls back to the download.
#include "actors/queen/state.hpp"

namespace rbee {

namespace {

using namespace std::chrono_literals;
constexpr auto transfer_timeout = std::chrono::seconds(7 * 24 * 3600);

/// The hive downloads the model itself.
void download_there(queen_ptr self, const std::string& job_id, hive_actor target, model_download_op op,
                    std::function<void(caf::expected<job_result>)> done) {
  self->request(target, transfer_timeout, run_atom::value, job_context(self, job_id, target), operation{std::move(op)})
    .then([=](job_result& r) { done(std::move(r)); }, [=](caf::error& e) { done(std::move(e)); });
}

/// Asks `peers` in turn whether they have the model; the first that offers it
/// is copied from, else the target downloads it.
void try_peers(queen_ptr self, const std::string& job_id, hive_actor target, model_download_op op,
               std::shared_ptr<std::vector<std::pair<std::string, hive_actor>>> peers, size_t i,
               std::function<void(caf::expected<job_result>)> done) {
  if (i >= peers->size()) {
    say(self, job_id, "download", op.hive_id, "no other hive has " + op.model + "; " + op.hive_id + " downloads it");
    return download_there(self, job_id, target, std::move(op), std::move(done));
  }
  std::string peer_id = (*peers)[i].first; // named variables: clang cannot capture structured bindings
  hive_actor peer = (*peers)[i].second;
  self->request(peer, 10s, resolve_atom::value, op.model)
    .then(
      [=](model_entry&) {
        say(self, job_id, "copy", op.hive_id, "hive " + peer_id + " has " + op.model + ": copying it over the cluster link");
        self->request(peer, 10min, offer_atom::value, op.model)
          .then(
            [=](model_offer& offer, model_source_actor& src) {
              self->request(target, transfer_timeout, copy_atom::value, job_context(self, job_id, target), offer, src)
                .then([=](job_result& r) { done(std::move(r)); },
                      [=](caf::error& e) {
                        if (code_of(e) == errc::cancelled) return done(std::move(e));
                        say(self, job_id, "copy", op.hive_id,
                            "the copy from " + peer_id + " failed (" + message_of(e) + "); downloading instead", level::warn);
                        download_there(self, job_id, target, op, done);
                      });
            },
            [=](caf::error&) { try_peers(self, job_id, target, op, peers, i + 1, done); });
      },
      [=](caf::error&) { try_peers(self, job_id, target, op, peers, i + 1, done); });
}

} // namespace

void bring_model(queen_ptr self, const std::string& job_id, const std::string& hive_id, model_download_op op,
                 std::function<void(caf::expected<job_result>)> done) {
  auto& st = self->state;
  auto e = st.hives.find(hive_id);
  if (!e || e->info.state != hive_state::online || !e->handle)
    return done(make_error(errc::hive_lost, "hive '" + hive_id + "' is not connected"));
  hive_actor target = e->handle;
  op.hive_id = hive_id;
  auto peers = std::make_shared<std::vector<std::pair<std::string, hive_actor>>>();
  for (auto& h : st.hives.list())
    if (auto p = st.hives.find(h.hive_id); p && h.hive_id != hive_id && h.state == hive_state::online && p->handle)
      peers->emplace_back(h.hive_id, p->handle);
  // Already there: the hive's own download answers that at once.
  self->request(target, 10s, resolve_atom::value, op.model)
    .then([=](model_entry&) { download_there(self, job_id, target, op, done); },
          [=](caf::error&) { try_peers(self, job_id, target, op, peers, 0, done); });
}

} // namespace rbee
