// The queen's cluster gate and the per-job relay, as real actors: who may join
// as which hive, and what a remote hive may say.
#include "actors/node/runtime.hpp"
#include "actors/queen/gate.hpp"
#include "actors/queen/queen.hpp"
#include "cluster/queen_pki.hpp"
#include "tests/support/process.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "tests/actors/queen/stub_hive.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <thread>

using namespace rbee;
using namespace std::chrono_literals;

namespace {

/// What a recording bridge saw.
struct seen {
  std::mutex mtx;
  std::vector<narration> notes;
  std::vector<token_msg> tokens;
  std::vector<job_info> jobs;
};

bridge_actor::behavior_type recording_bridge(bridge_actor::pointer, std::shared_ptr<seen> s) {
  return {
    [=](narration& n) {
      std::lock_guard<std::mutex> g{s->mtx};
      s->notes.push_back(std::move(n));
    },
    [=](token_msg& t) {
      std::lock_guard<std::mutex> g{s->mtx};
      s->tokens.push_back(std::move(t));
    },
    [=](job_info& j) {
      std::lock_guard<std::mutex> g{s->mtx};
      s->jobs.push_back(std::move(j));
    },
    [](const hive_info&) {},
    [](subscribe_atom, const subscription&) -> uint64_t { return 0; },
    [](stats_atom) { return bridge_stats{}; },
  };
}

/// A hive that answers nothing of interest: the gate only needs a handle.
hive_actor::behavior_type idle_hive(hive_actor::pointer self) { return test::stub_hive(self, false); }

struct Gate : ::testing::Test {
  Gate() : sys(init(cfg)), self(sys) {
    state_dir = test::temp_dir();
    files = cluster::queen_paths(state_dir);
    EXPECT_TRUE(cluster::init_queen(files));
    bridge = sys.spawn(recording_bridge, log);
    queen_options o;
    o.version = "test";
    o.bridge = bridge;
    queen = spawn_queen(sys, o);
    gate = spawn_gate(sys, gate_options{queen, state_dir});
  }
  ~Gate() override {
    for (auto a : {caf::actor_cast<caf::actor>(gate), caf::actor_cast<caf::actor>(queen), caf::actor_cast<caf::actor>(bridge)})
      self->send_exit(a, caf::exit_reason::user_shutdown);
  }
  static caf::actor_system_config& init(caf::actor_system_config& c) {
    configure_actor_system(c, config::settings{}, false);
    return c;
  }
  std::string issue(const std::string& id, int64_t ttl_ms = 60'000) {
    auto t = cluster::add_hive(files, id, "127.0.0.1:7834", "", ttl_ms, now_ms());
    EXPECT_TRUE(t) << (t ? "" : t.error().message);
    return t ? t->secret : "";
  }
  /// The gate's answer: the link, or the error's text.
  caf::expected<hive_link_actor> join(hive_join j, hive_actor h) {
    caf::expected<hive_link_actor> out{caf::error{}};
    self->request(gate, 5s, join_atom::value, std::move(j), std::move(h))
      .receive([&](registration_ack&, hive_link_actor& l) { out = std::move(l); }, [&](caf::error& e) { out = std::move(e); });
    return out;
  }
  std::vector<hive_info> hives() {
    std::vector<hive_info> out;
    self->request(queen, 5s, hives_atom::value).receive([&](std::vector<hive_info>& h) { out = h; }, [](caf::error&) {});
    return out;
  }

  caf::actor_system_config cfg;
  caf::actor_system sys;
  caf::scoped_actor self;
  std::string state_dir;
  cluster::queen_files files;
  std::shared_ptr<seen> log = std::make_shared<seen>();
  bridge_actor bridge;
  queen_actor queen;
  cluster_gate_actor gate;
};

} // namespace

TEST_F(Gate, AnIssuedHiveJoinsWithItsSecret) {
  auto secret = issue("alpha");
  auto h = sys.spawn(idle_hive);
  auto link = join(hive_join{"alpha", secret, cluster_protocol, "test", {}}, h);
  ASSERT_TRUE(link) << sys.render(link.error());
  auto list = hives();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].hive_id, "alpha");
  self->send_exit(h, caf::exit_reason::user_shutdown);
}

TEST_F(Gate, WrongSecretsUnknownHivesExpiredTokensAndOtherProtocolsAreRefused) {
  auto alpha = issue("alpha");
  auto beta = issue("beta");
  auto late = issue("late", -1); // expired before its first join
  auto h = sys.spawn(idle_hive);
  auto code = [&](hive_join j) {
    auto r = join(std::move(j), h);
    return r ? errc::none : code_of(r.error());
  };
  EXPECT_EQ(code({"beta", alpha, cluster_protocol, "t", {}}), errc::unauthorized) << "alpha's secret is not beta's";
  EXPECT_EQ(code({"gamma", alpha, cluster_protocol, "t", {}}), errc::unauthorized) << "never issued";
  EXPECT_EQ(code({"alpha", "", cluster_protocol, "t", {}}), errc::unauthorized);
  EXPECT_EQ(code({"alpha", std::string(1 << 20, 'x'), cluster_protocol, "t", {}}), errc::unauthorized);
  EXPECT_EQ(code({"late", late, cluster_protocol, "t", {}}), errc::unauthorized);
  EXPECT_EQ(code({"alpha", alpha, cluster_protocol + 1, "t", {}}), errc::invalid_value);
  EXPECT_EQ(code({"../x", alpha, cluster_protocol, "t", {}}), errc::invalid_value);
  EXPECT_EQ(join(hive_join{"alpha", alpha, cluster_protocol, "t", {}}, hive_actor{}).error() ? errc::bad_request : errc::none,
            errc::bad_request);
  EXPECT_TRUE(hives().empty()) << "no refused join registered anything";
  // beta's own secret still works after all that, and a removed hive's does not.
  EXPECT_TRUE(join(hive_join{"beta", beta, cluster_protocol, "t", {}}, h));
  ASSERT_TRUE(cluster::remove_hive(files, "alpha"));
  EXPECT_EQ(code({"alpha", alpha, cluster_protocol, "t", {}}), errc::unauthorized);
  self->send_exit(h, caf::exit_reason::user_shutdown);
}

TEST_F(Gate, ALinkSpeaksOnlyForItsOwnHive) {
  auto alpha = issue("alpha");
  auto beta = issue("beta");
  auto ha = sys.spawn(idle_hive), hb = sys.spawn(idle_hive);
  auto la = join(hive_join{"alpha", alpha, cluster_protocol, "t", {}}, ha);
  auto lb = join(hive_join{"beta", beta, cluster_protocol, "t", {}}, hb);
  ASSERT_TRUE(la && lb);
  auto seen_of = [&](const std::string& id) {
    for (auto& h : hives())
      if (h.hive_id == id) return h.last_seen_ms;
    return int64_t{-1};
  };
  int64_t before = seen_of("beta");
  std::this_thread::sleep_for(20ms);
  // alpha's link, claiming to be beta: counted as alpha's heartbeat.
  self->send(*la, heartbeat_atom::value, hive_heartbeat{"beta", 1, now_ms(), 1});
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(seen_of("beta"), before);
  EXPECT_GT(seen_of("alpha"), before);
  self->send_exit(ha, caf::exit_reason::user_shutdown);
  self->send_exit(hb, caf::exit_reason::user_shutdown);
}

TEST_F(Gate, AJobRelayForcesItsJobIdAndRefusesTheRest) {
  auto relay = spawn_job_relay(sys, bridge, "job-mine");
  self->send(relay, narrate("job-other", "hive", "x", "y", "forged"));
  self->send(relay, token_msg{"job-other", 0, "tok", 5});
  self->send(relay, job_info{});
  bool refused = false;
  self->request(relay, 2s, stats_atom::value).receive([](bridge_stats&) {}, [&](caf::error&) { refused = true; });
  EXPECT_TRUE(refused);
  std::this_thread::sleep_for(100ms);
  std::lock_guard<std::mutex> g{log->mtx};
  ASSERT_EQ(log->notes.size(), 1u);
  EXPECT_EQ(log->notes[0].job_id, "job-mine");
  ASSERT_EQ(log->tokens.size(), 1u);
  EXPECT_EQ(log->tokens[0].job_id, "job-mine");
  EXPECT_TRUE(log->jobs.empty()) << "job states are the queen's";
  self->send_exit(relay, caf::exit_reason::user_shutdown);
}
