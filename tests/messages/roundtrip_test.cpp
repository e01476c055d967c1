// Every message survives CAF's binary wire format, as a registered type inside a
// caf::message (what crosses the network between queen and hive).
#include "actors/node/runtime.hpp"
#include "messages/interfaces.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/message.hpp>

#include <gtest/gtest.h>

#include <cstring>

using namespace rbee;

namespace {

struct Roundtrip : ::testing::Test {
  Roundtrip() : sys(init(cfg)) {}
  static caf::actor_system_config& init(caf::actor_system_config& c) {
    configure_actor_system(c, config::settings{}, false);
    return c;
  }
  template <class T>
  void check(T x) {
    std::vector<char> buf;
    caf::binary_serializer sink{sys, buf};
    auto msg = caf::make_message(x);
    ASSERT_FALSE(sink(msg)) << "cannot serialize " << caf::deep_to_string(x);
    caf::message out;
    caf::binary_deserializer source{sys, buf};
    ASSERT_FALSE(source(out));
    ASSERT_TRUE(out.match_element<T>(0));
    EXPECT_EQ(caf::deep_to_string(out.get_as<T>(0)), caf::deep_to_string(x));
  }
  caf::actor_system_config cfg;
  caf::actor_system sys;
};

capabilities sample_caps() {
  capabilities c{"host", "linux", "x86_64", "EPYC", 2, {"avx2", "avx512f"}, 1u << 30, 1u << 29, {}, ""};
  c.gpus.push_back(gpu_info{0, "H100", 80ull << 30, 79ull << 30, 9, 0});
  return c;
}

} // namespace

TEST_F(Roundtrip, Narration) {
  auto n = narrate("job-1", "hive", "download", "a.gguf", "downloading", level::warn);
  n.seq = 7;
  n.kind = event_kind::progress;
  n.fields = {{"bytes_done", "1024", true}, {"file", "a.gguf", false}};
  check(n);
}

TEST_F(Roundtrip, JobMessages) {
  job_info j{"job-1", "hive_get", "h1", job_state::failed, 1, 2, 3, no_result{}, errc::hive_lost, "gone"};
  check(j);
  j.state = job_state::completed;
  j.result = download_result{"org/repo", {"/m/a.gguf", "/m/b.gguf"}, 42};
  check(j);
  check(job_accepted{"job-1", "/v1/jobs/job-1/stream"});
  // Every kind of result crosses the wire (a hive's answer to the queen).
  check(job_result{cluster_status{"0.1.0", 1, 2, 3, {}}});
  check(job_result{sample_caps()});
  check(job_result{action_result{"stopped", "w1"}});
  check(job_result{installed_worker{"rbee-worker-cpu", "1.0", "cpu", "rbee-worker", "ab", "/x"}});
  check(job_result{std::vector<installed_worker>{{"a", "1", "cpu", "b", "c", "d"}}});
  check(job_result{catalog_answer{R"([{"id":"w"}])"}});
  check(job_result{auto_run_result{"w1", "m", "localhost", "/v1/chat/completions", "/p", "builtin", "cpu"}});
}

TEST_F(Roundtrip, HiveMessages) {
  check(sample_caps());
  check(gpu_info{1, "A100", 1, 2, 8, 0});
  check(hive_registration{"h1", "0.1.0", sample_caps()});
  check(registration_ack{"h1", 3, 500});
  check(hive_heartbeat{"h1", 3, 123, 456});
  hive_info h{"h1", "0.1.0", hive_state::lost, false, 2, 10, 20, "timeout", sample_caps()};
  check(h);
  check(cluster_status{"0.1.0", 1, 2, 3, {h}});
}

TEST_F(Roundtrip, JobContext) {
  check(job_ctx{"job-1", bridge_actor{}});
}

TEST_F(Roundtrip, EveryOperation) {
  infer_op inf;
  inf.hive_id = "h";
  inf.model = "m";
  inf.messages = {{"user", "hi"}};
  inf.stop = {"\n"};
  inf.seed = 42;
  inf.has_seed = true;
  std::vector<operation> ops = {
    status_op{}, hive_list_op{}, hive_get_op{"h"}, inf, model_download_op{"h", "org/repo:Q4_K_M"},
    model_list_op{"h"}, model_get_op{"h", "m"}, model_delete_op{"h", "m"},
    worker_catalog_list_op{"h"}, worker_catalog_get_op{"h", "w"}, worker_install_op{"h", "w", true},
    worker_remove_op{"h", "w"}, worker_list_installed_op{"h"}, worker_spawn_op{"h", "m", "cpu", "cpu"},
    worker_stop_op{"h", "w", "org/repo:Q8_0"}, worker_list_op{"h"}, auto_run_op{"h", "m", "cuda"},
    hive_remote_op{"install", "beta", "b", "10.0.0.1:7834"}};
  ASSERT_EQ(ops.size(), op_names().size());
  for (auto& op : ops) check(op);
}

TEST_F(Roundtrip, ErrorsKeepCodeAndMessage) {
  auto err = make_error(errc::checksum_mismatch, "expected aa, got bb");
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  ASSERT_FALSE(sink(err));
  caf::error out;
  caf::binary_deserializer source{sys, buf};
  ASSERT_FALSE(source(out));
  EXPECT_EQ(code_of(out), errc::checksum_mismatch);
  EXPECT_EQ(message_of(out), "expected aa, got bb");
  EXPECT_NE(sys.render(out).find("checksum_mismatch"), std::string::npos);
}

TEST_F(Roundtrip, TruncatedInputIsAnErrorNotACrash) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  auto msg = caf::make_message(hive_registration{"h1", "0.1.0", sample_caps()});
  ASSERT_FALSE(sink(msg));
  for (size_t cut : {size_t{0}, size_t{1}, buf.size() / 2, buf.size() - 1}) {
    std::vector<char> part(buf.begin(), buf.begin() + static_cast<long>(cut));
    caf::message out;
    caf::binary_deserializer source{sys, part};
    auto err = source(out);
    EXPECT_TRUE(err || !out.match_elements<hive_registration>()) << "cut at " << cut;
  }
}

TEST(Errc, NamesAndCodes) {
  EXPECT_EQ(to_string(errc::hive_lost), "hive_lost");
  EXPECT_EQ(code_of(make_error(errc::disk_full)), errc::disk_full);
  EXPECT_EQ(code_of(caf::make_error(caf::sec::request_timeout)), errc::timeout);
  EXPECT_EQ(code_of(caf::error{}), errc::none);
  EXPECT_EQ(message_of(make_error(errc::disk_full)), "disk_full");
}

// CAF 0.17 threw std::runtime_error out of the deserializer for a variant type tag out
// of range: on the middleman's thread that ended the process, so one message from a
// peer (a hive, a worker process) killed the queen. Found by the caf_messages fuzzer
// (tests/fuzz/seeds/caf_messages/crash-variant-tag). Now it is an error.
TEST_F(Roundtrip, AnOperationWithABadTypeTagIsAnErrorNotAnException) {
  for (uint8_t tag : {uint8_t{17}, uint8_t{18}, uint8_t{200}, uint8_t{255}}) {
    std::vector<char> buf;
    caf::binary_serializer sink{sys, buf};
    operation op = status_op{};
    ASSERT_FALSE(sink(op));
    ASSERT_FALSE(buf.empty());
    buf[0] = static_cast<char>(tag);
    operation back;
    caf::binary_deserializer source{sys, buf};
    caf::error err;
    EXPECT_NO_THROW(err = source(back)) << int(tag);
    EXPECT_TRUE(err) << int(tag);
  }
  // The same for a job result (a hive's answer to the queen).
  for (uint8_t tag : {uint8_t{14}, uint8_t{255}}) {
    std::vector<char> buf;
    caf::binary_serializer sink{sys, buf};
    job_result r{action_result{"stopped", "w1"}};
    ASSERT_FALSE(sink(r));
    buf[0] = static_cast<char>(tag);
    job_result back;
    caf::binary_deserializer source{sys, buf};
    caf::error err;
    EXPECT_NO_THROW(err = source(back)) << int(tag);
    EXPECT_TRUE(err) << int(tag);
  }
  // A worker state out of the enum's range (a peer's byte) is refused on load.
  {
    std::vector<char> buf;
    caf::binary_serializer sink{sys, buf};
    worker_info w;
    w.state = static_cast<worker_state>(9);
    ASSERT_FALSE(sink(w));
    worker_info back;
    caf::binary_deserializer source{sys, buf};
    EXPECT_TRUE(source(back));
    w.state = worker_state::ready;
    buf.clear();
    caf::binary_serializer ok_sink{sys, buf};
    ASSERT_FALSE(ok_sink(w));
    caf::binary_deserializer ok_source{sys, buf};
    EXPECT_FALSE(ok_source(back));
    EXPECT_EQ(back.state, worker_state::ready);
  }
  // A valid tag still reads (the last alternative).
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  operation op = auto_run_op{"h", "m", "w"};
  ASSERT_FALSE(sink(op));
  operation back;
  caf::binary_deserializer source{sys, buf};
  EXPECT_FALSE(source(back));
  EXPECT_EQ(caf::deep_to_string(back), caf::deep_to_string(op));
}

// CAF 0.17 never returns from writing an infinite or NaN float (pack754 loops), so a
// peer's message with one would stall the middleman when forwarded: such fields are
// refused when read. Found by the caf_messages fuzzer (seeds/caf_messages/hang-infinite-float).
TEST_F(Roundtrip, NonFiniteFloatsFromAPeerAreRefused) {
  auto bytes_of = [&](const infer_op& op) {
    std::vector<char> buf;
    caf::binary_serializer sink{sys, buf};
    EXPECT_FALSE(sink(const_cast<infer_op&>(op)));
    return buf;
  };
  infer_op good;
  good.model = "m";
  good.temperature = 0.5f;
  auto buf = bytes_of(good);
  // The same bytes with the temperature's bits made +inf, then NaN (found by value).
  float half = 0.5f;
  uint32_t bits;
  std::memcpy(&bits, &half, 4);
  for (uint32_t bad : {0x7f800000u, 0x7fc00000u}) {
    auto copy = buf;
    bool patched = false;
    for (size_t i = 0; i + 4 <= copy.size(); ++i) {
      uint32_t be = (uint32_t(uint8_t(copy[i])) << 24) | (uint32_t(uint8_t(copy[i + 1])) << 16) |
                    (uint32_t(uint8_t(copy[i + 2])) << 8) | uint32_t(uint8_t(copy[i + 3]));
      uint32_t le;
      std::memcpy(&le, copy.data() + i, 4);
      if (be == bits || le == bits) {
        for (int k = 0; k < 4; ++k) copy[i + k] = static_cast<char>(be == bits ? bad >> (24 - 8 * k) : bad >> (8 * k));
        patched = true;
        break;
      }
    }
    ASSERT_TRUE(patched) << "the temperature's bytes were not found";
    infer_op back;
    caf::binary_deserializer source{sys, copy};
    EXPECT_TRUE(source(back)) << std::hex << bad;
  }
  infer_op back;
  caf::binary_deserializer source{sys, buf};
  EXPECT_FALSE(source(back));
  EXPECT_EQ(back.temperature, 0.5f);
}
