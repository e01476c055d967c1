// The queen, the hive and the sse bridge as real actors in one actor system.
#include "actors/node/embedded.hpp"
#include "actors/node/runtime.hpp"

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

struct collecting_sink : event_sink {
  std::mutex mtx;
  std::string text;
  bool ended = false;
  bool push(const bridge_event& e, bool last) override {
    std::lock_guard<std::mutex> g{mtx};
    text += *e.frame;
    ended = ended || last;
    return true;
  }
  bool wait_end(std::chrono::milliseconds t) {
    auto deadline = std::chrono::steady_clock::now() + t;
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard<std::mutex> g{mtx};
        if (ended) return true;
      }
      std::this_thread::sleep_for(5ms);
    }
    return false;
  }
};

/// A hive that answers nothing of interest and never answers an operation (a hung machine).
hive_actor::behavior_type silent_hive(hive_actor::pointer self) { return test::stub_hive(self, true); }

struct Queen : ::testing::Test {
  Queen() : sys(init(cfg)), self(sys) {
    config::settings s;
    s.hive_heartbeat_ms = 100;
    s.hive_lease_ms = 400;
    s.max_finished_jobs = 100;
    auto n = spawn_embedded(sys, s, "test", local_hive_id);
    bridge = n.bridge;
    queen = n.queen;
    hive = n.hive;
  }
  ~Queen() override { node{bridge, queen, hive}.shutdown(); }
  static caf::actor_system_config& init(caf::actor_system_config& c) {
    configure_actor_system(c, config::settings{}, false);
    return c;
  }

  caf::expected<job_accepted> submit(operation op) {
    caf::expected<job_accepted> out{caf::error{}};
    self->request(queen, 2s, submit_atom::value, std::move(op))
      .receive([&](job_accepted& a) { out = a; }, [&](caf::error& e) { out = e; });
    return out;
  }
  std::optional<hive_info> get_hive(const std::string& id) {
    std::optional<hive_info> out;
    self->request(queen, 2s, hive_atom::value, id).receive([&](hive_info& h) { out = h; }, [](caf::error&) {});
    return out;
  }
  job_info wait_job(const std::string& id) {
    job_info out;
    for (int i = 0; i < 400; ++i) {
      self->request(queen, 2s, job_atom::value, id).receive([&](job_info& j) { out = j; }, [](caf::error&) {});
      if (is_terminal(out.state)) break;
      std::this_thread::sleep_for(5ms);
    }
    return out;
  }
  caf::error cancel(const std::string& id) {
    caf::error out;
    self->request(queen, 2s, cancel_atom::value, id).receive([](job_info&) {}, [&](caf::error& e) { out = e; });
    return out;
  }
  void join_fake(const std::string& id, hive_actor h) {
    self->request(queen, 2s, register_atom::value, hive_registration{id, "test", {}}, h)
      .receive([](registration_ack&) {}, [](caf::error& e) { FAIL() << caf::to_string(e); });
  }

  caf::actor_system_config cfg;
  caf::actor_system sys;
  caf::scoped_actor self;
  bridge_actor bridge;
  queen_actor queen;
  hive_actor hive;
};

} // namespace

TEST_F(Queen, LocalHiveRegisters) {
  auto h = get_hive("localhost");
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->local);
  EXPECT_EQ(h->state, hive_state::online);
  EXPECT_GT(h->caps.cores, 0);
}

TEST_F(Queen, StatusCompletes) {
  auto a = submit(status_op{});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->sse_url, "/v1/jobs/" + a->job_id + "/stream");
  auto j = wait_job(a->job_id);
  EXPECT_EQ(j.state, job_state::completed);
  auto* status = caf::get_if<cluster_status>(&j.result);
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(status->hives.size(), 1u);
}

TEST_F(Queen, HiveGetIsRoutedToTheHiveAndNarrated) {
  auto a = submit(hive_get_op{"localhost"});
  ASSERT_TRUE(a);
  auto sink = std::make_shared<collecting_sink>();
  self->request(bridge, 2s, subscribe_atom::value, subscription{a->job_id, false, 0, sink})
    .receive([](uint64_t) {}, [](caf::error& e) { FAIL() << caf::to_string(e); });
  ASSERT_TRUE(sink->wait_end(3s));
  std::lock_guard<std::mutex> g{sink->mtx};
  auto route = sink->text.find("\"action\":\"route\"");
  auto probe = sink->text.find("\"actor\":\"hive\"");
  auto done = sink->text.find("event: done");
  EXPECT_NE(route, std::string::npos);
  EXPECT_LT(route, probe);
  EXPECT_LT(probe, done);
  EXPECT_NE(sink->text.find("\"cpu_model\""), std::string::npos);
}

TEST_F(Queen, SubmissionErrors) {
  auto unknown = submit(hive_get_op{"nowhere"});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(code_of(unknown.error()), errc::hive_not_found);
  // auto_run names a missing hive as the failure of its first step, inside the job.
  auto run = submit(auto_run_op{"nowhere", "m", ""});
  ASSERT_TRUE(run);
  auto j = wait_job(run->job_id);
  EXPECT_EQ(j.state, job_state::failed);
  EXPECT_EQ(j.error_code, errc::hive_not_found);
  EXPECT_NE(j.error_message.find("step 'hive'"), std::string::npos) << j.error_message;
}

TEST_F(Queen, CancelErrors) {
  EXPECT_EQ(code_of(cancel("job-nope")), errc::job_not_found);
  auto a = submit(status_op{});
  ASSERT_TRUE(a);
  wait_job(a->job_id);
  EXPECT_EQ(code_of(cancel(a->job_id)), errc::job_finished);
}

TEST_F(Queen, HungHiveJobCanBeCancelledOnce) {
  auto h = sys.spawn(silent_hive);
  join_fake("slow", h);
  auto a = submit(hive_get_op{"slow"});
  ASSERT_TRUE(a);
  EXPECT_FALSE(cancel(a->job_id));
  EXPECT_EQ(wait_job(a->job_id).state, job_state::cancelled);
  EXPECT_EQ(code_of(cancel(a->job_id)), errc::job_finished);
  caf::anon_send_exit(h, caf::exit_reason::kill);
}

TEST_F(Queen, DeadHiveFailsItsJobsWithHiveLost) {
  auto h = sys.spawn(silent_hive);
  join_fake("doomed", h);
  auto a = submit(hive_get_op{"doomed"});
  ASSERT_TRUE(a);
  caf::anon_send_exit(h, caf::exit_reason::kill);
  auto j = wait_job(a->job_id);
  EXPECT_EQ(j.state, job_state::failed);
  EXPECT_EQ(j.error_code, errc::hive_lost);
  auto info = get_hive("doomed");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->state, hive_state::lost);
  // Jobs sent to a lost hive fail the same way.
  auto b = submit(hive_get_op{"doomed"});
  ASSERT_TRUE(b);
  EXPECT_EQ(wait_job(b->job_id).error_code, errc::hive_lost);
}

TEST_F(Queen, HivesInTheQueensProcessHaveNoLease) {
  // A hive in the queen's own process cannot hang apart from it; only remote
  // hives are held to the heartbeat lease (400 ms here). See HiveRegistry tests
  // for the lease itself and tests/e2e for remote hives.
  auto h = sys.spawn(silent_hive); // sends no heartbeats
  join_fake("quiet", h);
  std::this_thread::sleep_for(900ms);
  auto info = get_hive("quiet");
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->local);
  EXPECT_EQ(info->state, hive_state::online);
  caf::anon_send_exit(h, caf::exit_reason::kill);
}

TEST_F(Queen, InvalidRegistrationIsRefused) {
  caf::error err;
  self->request(queen, 2s, register_atom::value, hive_registration{"../x", "t", {}}, hive)
    .receive([](registration_ack&) {}, [&](caf::error& e) { err = e; });
  EXPECT_EQ(code_of(err), errc::invalid_value);
}

TEST_F(Queen, UnexpectedMessagesAreDroppedAndTheQueenGoesOn) {
  auto untyped = caf::actor_cast<caf::actor>(queen);
  caf::anon_send(untyped, std::string("garbage"), 42);
  caf::anon_send(untyped, hive_heartbeat{"nobody", 99, 0, 0}); // heartbeat without the atom
  caf::anon_send(untyped, heartbeat_atom::value, hive_heartbeat{"nobody", 99, 0, 0}); // unknown hive
  caf::error err;
  self->request(untyped, 2s, std::string("what")).receive([](caf::message&) {}, [&](caf::error& e) { err = e; });
  EXPECT_TRUE(err); // an error answer, not a crash
  auto a = submit(status_op{});
  ASSERT_TRUE(a);
  EXPECT_EQ(wait_job(a->job_id).state, job_state::completed);
}

TEST_F(Queen, RegistrationWithoutAHandleIsRefused) {
  caf::error err;
  self->request(queen, 2s, register_atom::value, hive_registration{"h9", "t", {}}, hive_actor{})
    .receive([](registration_ack&) {}, [&](caf::error& e) { err = e; });
  EXPECT_EQ(code_of(err), errc::bad_request);
  EXPECT_FALSE(get_hive("h9"));
}
