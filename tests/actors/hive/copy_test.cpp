// LAN copy between two real hive actors (one actor system): the offer, the
// pull, and what a hostile peer can send — paths out of the store, wrong
// bytes, nothing at all — each refused with nothing left under the model's name.
#include "actors/hive/hive.hpp"
#include "actors/node/runtime.hpp"
#include "io/fetch.hpp"
#include "tests/support/process.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

using namespace rbee;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// A peer that answers every chunk with `reply` (a liar, or an empty one).
model_source_actor::behavior_type liar(model_source_actor::pointer, std::string reply) {
  return {[=](chunk_atom, uint64_t, uint32_t) { return reply; }};
}

/// A peer that serves `real`'s chunks, tells `notify` when the first is asked
/// for, and answers the later ones 300 ms late (a slow link).
model_source_actor::behavior_type slow(model_source_actor::pointer self, model_source_actor real, caf::actor notify) {
  return {[=](chunk_atom, uint64_t at, uint32_t n) -> caf::result<std::string> {
    auto rp = self->make_response_promise<std::string>();
    self->request(real, 10s, chunk_atom::value, at, n)
      .then(
        [=](std::string& d) mutable {
          if (at == 0)
            caf::anon_send(notify, std::string("first chunk"));
          else
            std::this_thread::sleep_for(300ms);
          rp.deliver(std::move(d));
        },
        [=](caf::error& e) mutable { rp.deliver(std::move(e)); });
    return rp;
  }};
}

struct Copy : ::testing::Test {
  Copy() : sys(init(cfg)), self(sys) {
    src_root = test::temp_dir() + "/models";
    dst_root = test::temp_dir() + "/models";
    fs::create_directories(src_root + "/org/repo");
    std::ofstream f(src_root + "/org/repo/m-Q8_0.gguf", std::ios::binary);
    for (int i = 0; i < (9 << 20) / 4; ++i) f.write(reinterpret_cast<const char*>(&i), 4); // 9 MiB: three chunks
    f.close();
    src = spawn(src_root, "src");
    dst = spawn(dst_root, "dst");
  }
  ~Copy() override {
    self->send_exit(src, caf::exit_reason::user_shutdown);
    self->send_exit(dst, caf::exit_reason::user_shutdown);
  }
  static caf::actor_system_config& init(caf::actor_system_config& c) {
    configure_actor_system(c, config::settings{}, false);
    return c;
  }
  hive_actor spawn(const std::string& root, const std::string& id) {
    hive_options o;
    o.hive_id = id;
    o.version = "test";
    o.models_dir = root;
    o.measure_bandwidth_mb = 0;
    return spawn_hive(sys, o);
  }
  caf::expected<std::pair<model_offer, model_source_actor>> offer(const std::string& model) {
    caf::expected<std::pair<model_offer, model_source_actor>> out{caf::error{}};
    self->request(src, 30s, offer_atom::value, model)
      .receive([&](model_offer& o, model_source_actor& s) { out = std::pair{o, s}; }, [&](caf::error& e) { out = e; });
    return out;
  }
  caf::error copy(const model_offer& o, model_source_actor s, const std::string& job = "job-1") {
    caf::error out;
    self->request(dst, 60s, copy_atom::value, job_ctx{job, bridge_actor{}}, o, s)
      .receive([](job_result&) {}, [&](caf::error& e) { out = e; });
    return out;
  }

  caf::actor_system_config cfg;
  caf::actor_system sys;
  caf::scoped_actor self;
  std::string src_root, dst_root;
  hive_actor src, dst;
};

} // namespace

TEST_F(Copy, AnOfferedModelArrivesWholeAndVerified) {
  auto o = offer("org/repo");
  ASSERT_TRUE(o) << sys.render(o.error());
  EXPECT_EQ(o->first.relative, "org/repo/m-Q8_0.gguf");
  EXPECT_EQ(o->first.size, 9u << 20);
  EXPECT_EQ(o->first.sha256, sha256_file(src_root + "/org/repo/m-Q8_0.gguf"));
  EXPECT_EQ(o->first.hive_id, "src");
  auto err = copy(o->first, o->second);
  EXPECT_FALSE(err) << sys.render(err);
  EXPECT_EQ(sha256_file(dst_root + "/org/repo/m-Q8_0.gguf"), o->first.sha256);
  EXPECT_FALSE(fs::exists(dst_root + "/org/repo/m-Q8_0.gguf.incomplete"));
  EXPECT_FALSE(offer("org/none")) << "nothing to offer";
  EXPECT_FALSE(offer("../../etc/passwd")) << "a name is never a path";
}

TEST_F(Copy, AnInterruptedCopyResumesFromItsPartial) {
  auto o = offer("org/repo");
  ASSERT_TRUE(o);
  // What an earlier, interrupted copy left: the first 5 MiB.
  fs::create_directories(dst_root + "/org/repo");
  {
    std::ifstream in(src_root + "/org/repo/m-Q8_0.gguf", std::ios::binary);
    std::string head(5 << 20, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    std::ofstream(dst_root + "/org/repo/m-Q8_0.gguf.incomplete", std::ios::binary) << head;
  }
  EXPECT_FALSE(copy(o->first, o->second));
  EXPECT_EQ(sha256_file(dst_root + "/org/repo/m-Q8_0.gguf"), o->first.sha256);
}

TEST_F(Copy, ACancelledCopyStopsMidwayKeepsItsPartialAndResumes) {
  auto o = offer("org/repo");
  ASSERT_TRUE(o);
  caf::scoped_actor waiter{sys};
  auto peer = sys.spawn(slow, o->second, caf::actor{waiter});
  // The copy runs; once its first chunk is on the way, the job is cancelled.
  std::thread canceller([&] {
    bool first = false;
    waiter->receive([&](std::string&) { first = true; }, caf::after(20s) >> [] {});
    EXPECT_TRUE(first) << "the copy asked for its first chunk";
    caf::anon_send(dst, cancel_atom::value, std::string("job-c"));
  });
  auto err = copy(o->first, peer, "job-c");
  canceller.join();
  EXPECT_EQ(code_of(err), errc::cancelled) << sys.render(err);
  EXPECT_FALSE(fs::exists(dst_root + "/org/repo/m-Q8_0.gguf")) << "nothing under the model's name";
  std::string partial = dst_root + "/org/repo/m-Q8_0.gguf.incomplete";
  ASSERT_TRUE(fs::exists(partial)) << "the partial is kept for a resume";
  EXPECT_GT(fs::file_size(partial), 0u);
  EXPECT_LT(fs::file_size(partial), 9u << 20) << "stopped midway";
  // Asked again, it resumes from there and arrives whole.
  EXPECT_FALSE(copy(o->first, o->second, "job-d"));
  EXPECT_EQ(sha256_file(dst_root + "/org/repo/m-Q8_0.gguf"), o->first.sha256);
  EXPECT_FALSE(fs::exists(partial));
  self->send_exit(peer, caf::exit_reason::user_shutdown);
}

TEST_F(Copy, AHostilePeerGetsNothingPlaced) {
  auto good = offer("org/repo");
  ASSERT_TRUE(good);
  auto bad_offer = [&](std::string relative) {
    auto o = good->first;
    o.relative = std::move(relative);
    return copy(o, good->second);
  };
  for (auto path : {"../../../tmp/evil.gguf", "/etc/evil.gguf", "org/repo/../../x.gguf", "org/repo/x.sh", "a/b/c/d.gguf",
                    "org/re po/x.gguf", "org//x.gguf", ""})
    EXPECT_EQ(code_of(bad_offer(path)), errc::invalid_value) << path;
  auto o = good->first;
  o.sha256 = "short";
  EXPECT_EQ(code_of(copy(o, good->second)), errc::invalid_value);
  // Wrong bytes: the hash tells; no file under the model's name, no partial kept.
  auto wrong = sys.spawn(liar, std::string(1 << 20, 'x'));
  EXPECT_EQ(code_of(copy(good->first, wrong)), errc::checksum_mismatch);
  EXPECT_FALSE(fs::exists(dst_root + "/org/repo/m-Q8_0.gguf"));
  EXPECT_FALSE(fs::exists(dst_root + "/org/repo/m-Q8_0.gguf.incomplete"));
  // Nothing at all: a clear error, not a loop.
  auto mute = sys.spawn(liar, std::string());
  EXPECT_EQ(code_of(copy(good->first, mute)), errc::unavailable);
  EXPECT_FALSE(fs::exists(dst_root + "/org/repo/m-Q8_0.gguf"));
  // Too much: more than a chunk was asked for.
  auto flood = sys.spawn(liar, std::string(max_chunk_bytes + 1, 'x'));
  EXPECT_EQ(code_of(copy(good->first, flood)), errc::checksum_mismatch);
  EXPECT_FALSE(fs::exists(dst_root + "/org/repo/m-Q8_0.gguf.incomplete"));
  for (auto a : {caf::actor_cast<caf::actor>(wrong), caf::actor_cast<caf::actor>(mute), caf::actor_cast<caf::actor>(flood)})
    self->send_exit(a, caf::exit_reason::user_shutdown);
}
