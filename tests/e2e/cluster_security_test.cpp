// Attacks on the cluster port and on a hive's worker port, against real
// processes: a CAF client without a certificate, with another cluster's, with a
// valid hive certificate claiming another hive's id, raw bytes and a BASP
// header announcing 4 GiB; a local process without a worker's secret.
#include "actors/node/runtime.hpp"
#include "cluster/hive_files.hpp"
#include "cluster/queen_pki.hpp"
#include "messages/interfaces.hpp"
#include "tests/e2e/e2e.hpp"
#include "tests/kernels/kernels_test_util.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace rbee;
using namespace rbee::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::string state_of(const std::vector<std::string>& env) {
  for (auto& e : env)
    if (e.starts_with("XDG_STATE_HOME=")) return e.substr(15) + "/rbee";
  return "";
}

struct ClusterAttack : ::testing::Test {
  void SetUp() override {
    env = private_env();
    env.back() = "RBEE_LOG_LEVEL=info";
    queen = start_daemon({"queen", "--port", "0", "--cluster-port", "0"}, env);
    ASSERT_GT(queen.port, 0);
    auto line = queen.proc->read_line(10s);
    ASSERT_TRUE(line && line->starts_with("cluster on ")) << (line ? *line : "");
    cluster = line->substr(11);
    port = static_cast<uint16_t>(std::stoi(cluster.substr(cluster.rfind(':') + 1)));
  }
  /// A hive environment joined with a token of the queen whose state is `qenv`'s.
  std::vector<std::string> joined(const std::string& id, const std::vector<std::string>& qenv) {
    return joined_hive_env(id, cluster, qenv);
  }
  std::string hive_json(const std::string& id) { return net::http_call(queen.url(), "GET", "/v1/hives/" + id).body; }
  bool queen_alive() { return net::http_call(queen.url(), "GET", "/health").status == 200; }
  /// Connects to the cluster port with CAF: TLS with `tls` (none: openssl loaded without keys).
  caf::error connect_with(const tls_files* tls, const std::string& app_id = "") {
    caf::actor_system_config cfg;
    configure_actor_system(cfg, config::settings{}, true);
    if (!app_id.empty()) cfg.set("middleman.app-identifiers", std::vector<std::string>{app_id});
    if (tls)
      EXPECT_EQ(configure_cluster_tls(cfg, *tls), "");
    else
      cfg.load<caf::openssl::manager>();
    caf::actor_system sys{cfg};
    auto r = connect_tls(sys, "127.0.0.1", port, 5s, sys.message_types(caf::detail::type_list<cluster_gate_actor>{}));
    return r ? caf::error{} : r.error();
  }
  std::vector<std::string> env;
  rbee_daemon queen;
  std::string cluster;
  uint16_t port = 0;
};

void send_raw(uint16_t port, const std::string& bytes) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  std::this_thread::sleep_for(300ms);
  close(fd);
}

} // namespace

TEST_F(ClusterAttack, AClientWithoutACertificateIsRefused) {
  // The control: this cluster's hive credentials reach the gate.
  auto hf = cluster::hive_paths(state_of(joined("h0", env)));
  tls_files good{hf.cert, hf.key, hf.queen_ca};
  auto ok = connect_with(&good);
  EXPECT_FALSE(ok) << caf::to_string(ok);
  EXPECT_TRUE(connect_with(nullptr)) << "anonymous TLS must not reach the gate";
  // Plain BASP (CAF's middleman without TLS) neither.
  caf::actor_system_config cfg;
  configure_actor_system(cfg, config::settings{}, true);
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  bool refused = false;
  self->request(sys.middleman().actor_handle(), 5s, caf::connect_atom::value, std::string("127.0.0.1"), port)
    .receive([&](const caf::node_id&, caf::strong_actor_ptr& p, std::set<std::string>&) { refused = !p; },
             [&](caf::error&) { refused = true; });
  EXPECT_TRUE(refused);
  EXPECT_TRUE(queen_alive());
}

TEST_F(ClusterAttack, AnotherProtocolVersionIsTurnedAwayAtTheHandshake) {
  auto hf = cluster::hive_paths(state_of(joined("h0", env)));
  tls_files good{hf.cert, hf.key, hf.queen_ca};
  auto e = connect_with(&good, "rbee-cluster-999");
  EXPECT_TRUE(e) << "a peer of another cluster protocol must not reach the gate";
  EXPECT_FALSE(connect_with(&good)) << "the same credentials with this protocol do";
  EXPECT_TRUE(queen_alive());
}

TEST_F(ClusterAttack, ACertificateOfAnotherClusterIsRefused) {
  auto other_queen = private_env(); // another cluster: its own CAs, a hive of it
  auto henv = joined("intruder", other_queen);
  auto hf = cluster::hive_paths(state_of(henv));
  tls_files mine{hf.cert, hf.key, hf.queen_ca};
  EXPECT_TRUE(connect_with(&mine));
  // With this cluster's queen CA trusted but the other cluster's hive certificate: refused too.
  tls_files half{hf.cert, hf.key, cluster::queen_paths(state_of(env)).queen_ca};
  EXPECT_TRUE(connect_with(&half));
  // And the real hive process says why, and keeps trying.
  process hive({rbee_bin(), "hive", "--port", "0", "--queen", cluster}, henv);
  EXPECT_TRUE(eventually([&] { return hive.stderr_text().find("retrying in") != std::string::npos; }, 15s))
    << hive.stderr_text();
  EXPECT_NE(hive_json("intruder").find("no hive"), std::string::npos);
  EXPECT_TRUE(queen_alive());
}

TEST_F(ClusterAttack, AHiveCannotJoinUnderAnotherHivesId) {
  auto beta_env = joined("beta", env);
  process beta({rbee_bin(), "hive", "--port", "0"}, beta_env);
  ASSERT_TRUE(eventually([&] { return hive_json("beta").find("\"online\"") != std::string::npos; }, 15s))
    << beta.stderr_text();
  // alpha's valid certificate and secret, with beta's id in its join.json.
  auto alpha_env = joined("alpha", env);
  auto hf = cluster::hive_paths(state_of(alpha_env));
  std::ifstream in(hf.join);
  std::string j((std::istreambuf_iterator<char>(in)), {});
  auto at = j.find("\"alpha\"");
  ASSERT_NE(at, std::string::npos) << j;
  j.replace(at, 7, "\"beta\"");
  std::ofstream(hf.join) << j;
  process forger({rbee_bin(), "hive", "--port", "0"}, alpha_env);
  EXPECT_TRUE(eventually([&] { return forger.stderr_text().find("refused our join") != std::string::npos; }, 15s))
    << forger.stderr_text();
  EXPECT_NE(queen.proc->stderr_text().find("hive 'beta' presented a wrong join secret"), std::string::npos);
  auto b = hive_json("beta");
  EXPECT_NE(b.find("\"online\""), std::string::npos) << b;
  EXPECT_NE(b.find("\"epoch\":1"), std::string::npos) << "beta was not replaced: " << b;
}

TEST_F(ClusterAttack, RawBytesAndAHugeBaspHeaderDoNotHurtTheQueen) {
  std::string junk(4096, '\0');
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>(i * 131 + 7);
  send_raw(port, junk);
  // A BASP header (operation, padding, flags, payload length 0xffffffff, ...): what
  // plain BASP would answer by growing a buffer to 4 GiB.
  std::string basp(40, '\0');
  basp[0] = 0; // server_handshake
  basp[4] = basp[5] = basp[6] = basp[7] = '\xff';
  send_raw(port, basp);
  send_raw(port, "\x16\x03\x01\xff\xff" + std::string(1000, 'A')); // a TLS record claiming 64 KiB
  EXPECT_TRUE(queen_alive());
  auto henv = joined("h1", env);
  process hive({rbee_bin(), "hive", "--port", "0"}, henv);
  EXPECT_TRUE(eventually([&] { return hive_json("h1").find("\"online\"") != std::string::npos; }, 15s))
    << hive.stderr_text();
}

/// A worker process that never joins: records its arguments and environment.
TEST(WorkerGate, OnlyTheProcessWithItsSecretJoinsAsTheWorker) {
  if (!exists(stories("stories260K-f32.gguf"))) GTEST_SKIP() << "stories260K not found under " << models_dir();
  auto env = private_env();
  auto dir = temp_dir();
  std::string script = dir + "/fake-worker";
  std::ofstream(script) << "#!/bin/sh\nprintf '%s\\n' \"$@\" > " << dir << "/args\nenv > " << dir
                        << "/env\nexec sleep 60\n";
  fs::permissions(script, fs::perms::owner_all);
  std::string models = env[1].substr(env[1].find('=') + 1) + "/rbee/models/test/stories";
  fs::create_directories(models);
  fs::copy_file(stories("stories260K-f32.gguf"), models + "/m.gguf");
  env.push_back("RBEE_WORKER_PROCESSES=1");
  env.push_back("RBEE_WORKER_BINARY=" + script);
  auto d = start_daemon({"serve", "--port", "0"}, env);
  ASSERT_GT(d.port, 0);
  auto r = net::http_call(d.url(), "POST", "/v1/jobs", R"({"operation":"worker_spawn","model":"test/stories"})");
  ASSERT_EQ(r.status, 202) << r.body;
  ASSERT_TRUE(eventually([&] { return fs::exists(dir + "/env") && fs::file_size(dir + "/env") > 0; }, 10s));
  std::this_thread::sleep_for(200ms);
  std::vector<std::string> args;
  std::ifstream a(dir + "/args");
  for (std::string l; std::getline(a, l);) args.push_back(l);
  auto arg = [&](const std::string& flag) {
    for (size_t i = 0; i + 1 < args.size(); ++i)
      if (args[i] == flag) return args[i + 1];
    return std::string();
  };
  std::string id = arg("--id"), hive = arg("--hive"), secret;
  std::ifstream e(dir + "/env");
  for (std::string l; std::getline(e, l);)
    if (l.starts_with("RBEE_WORKER_SECRET=")) secret = l.substr(19);
  ASSERT_FALSE(id.empty());
  ASSERT_GE(secret.size(), 32u) << "the secret comes in the environment";
  for (auto& x : args) EXPECT_EQ(x.find(secret), std::string::npos) << "never on the command line";
  auto hport = static_cast<uint16_t>(std::stoi(hive.substr(hive.rfind(':') + 1)));

  caf::actor_system_config cfg;
  configure_actor_system(cfg, config::settings{}, true);
  caf::actor_system sys{cfg};
  // The port is not the hive: its operations cannot be reached from there.
  EXPECT_FALSE(sys.middleman().remote_actor<hive_actor>("127.0.0.1", hport));
  auto gate = sys.middleman().remote_actor<worker_gate_actor>("127.0.0.1", hport);
  ASSERT_TRUE(gate) << sys.render(gate.error());
  auto fake = [id](worker_actor::pointer) -> worker_actor::behavior_type {
    return {
      [](generate_atom, const job_ctx&, const infer_op&) -> caf::result<infer_result> { return make_error(errc::internal); },
      [](cancel_atom, const std::string&) {},
      [id](info_atom) { // what a loaded worker says of itself
        worker_info w;
        w.worker_id = id;
        w.model = "test/stories";
        w.state = worker_state::ready;
        return w;
      },
      [](step_atom) {},
      [](tokenized_atom) {},
    };
  };
  caf::scoped_actor self{sys};
  auto state = [&]() -> std::string {
    auto w = net::http_call(d.url(), "GET", "/v1/workers").body;
    if (w.find("\"state\":\"ready\"") != std::string::npos) return "ready";
    if (w.find("\"starting\"") != std::string::npos) return "starting";
    return w;
  };
  auto impostor = sys.spawn(fake);
  self->monitor(impostor);
  self->send(*gate, worker_up_atom::value, id, std::string("wrong-secret-of-the-right-length-0123456789"), impostor);
  bool turned_away = false;
  self->receive([&](caf::down_msg&) { turned_away = true; }, caf::after(5s) >> [] {});
  EXPECT_TRUE(turned_away) << "a process without the secret is told to go";
  EXPECT_EQ(state(), "starting");
  auto real = sys.spawn(fake);
  self->send(*gate, worker_up_atom::value, id, secret, real);
  EXPECT_TRUE(eventually([&] { return state() == "ready"; }, 5s)) << state();
  // No worker is starting any more: the loopback port is closed (joined workers keep their links).
  auto refused = [&] {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(hport);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool no = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0;
    close(fd);
    return no;
  };
  EXPECT_TRUE(eventually(refused, 5s)) << "port " << hport << " still open";
  self->send_exit(real, caf::exit_reason::user_shutdown);
}
