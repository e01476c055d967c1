// rbee:// links: every form, and what a hostile page could put in one.
#include "messages/json.hpp"
#include "messages/rbee_url.hpp"

#include <gtest/gtest.h>

using namespace rbee;

namespace {

std::optional<rbee_link> parse(const std::string& url) {
  std::string why;
  auto l = parse_rbee_url(url, why);
  if (!l) {
    EXPECT_FALSE(why.empty()) << url;
  }
  return l;
}

} // namespace

TEST(RbeeUrl, EveryForm) {
  auto d = parse("rbee://download/model/huggingface/TheBloke/TinyLlama-1.1B-GGUF:Q4_K_M");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->what, rbee_link::verb::download);
  EXPECT_EQ(d->model, "TheBloke/TinyLlama-1.1B-GGUF:Q4_K_M");
  EXPECT_EQ(rbee_link_job(*d), R"({"operation":"model_download","model":"TheBloke/TinyLlama-1.1B-GGUF:Q4_K_M"})");
  auto r = parse("rbee://run/model/huggingface/org/repo");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->what, rbee_link::verb::run);
  EXPECT_EQ(rbee_link_job(*r), R"({"operation":"auto_run","model":"org/repo"})");
  auto f = parse("rbee://run/model/huggingface/org/repo:model-q8_0.gguf/"); // a trailing slash, as browsers add
  ASSERT_TRUE(f);
  EXPECT_EQ(f->model, "org/repo:model-q8_0.gguf");
  auto i = parse("rbee://install/worker/rbee-worker-cuda");
  ASSERT_TRUE(i);
  EXPECT_EQ(i->what, rbee_link::verb::install);
  EXPECT_EQ(rbee_link_job(*i), R"({"operation":"worker_install","worker_id":"rbee-worker-cuda"})");
  auto o = parse("RBEE://open/dashboard");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->what, rbee_link::verb::dashboard);
  EXPECT_EQ(rbee_link_job(*o), "");
}

TEST(RbeeUrl, HostileAndMalformedAreRefused) {
  for (const std::string& bad : std::vector<std::string>{
         "", "rbee:", "rbee://", "rbee:///", "http://download/model/huggingface/a/b", "rbee:/download/model/huggingface/a/b",
         "rbee://download/model/huggingface/a", "rbee://download/model/huggingface/a/b/c", "rbee://download/model/github/a/b",
         "rbee://download/dataset/huggingface/a/b", "rbee://download/model/huggingface/../b", "rbee://download/model/huggingface/a/..",
         "rbee://download/model/huggingface/a/b..c", "rbee://download/model/huggingface/a/.hidden", "rbee://download/model/huggingface/a//b",
         "rbee://download/model/huggingface/a/b:", "rbee://download/model/huggingface/a/b:Q4:K", "rbee://download/model/huggingface/a/b:../x",
         "rbee://download/model/huggingface/a/%2e%2e", "rbee://download/model/huggingface/a/b?x=1", "rbee://download/model/huggingface/a/b#x",
         "rbee://download/model/huggingface/a/b c", "rbee://download/model/huggingface/a/b\n", "rbee://download/model/huggingface/a/b\\c",
         "rbee://download/model/huggingface/a/\"b", "rbee://download/model/huggingface/a/b'", "rbee://download/model/huggingface/a/\xc3\xa9",
         "rbee://install/worker/", "rbee://install/worker/Upper", "rbee://install/worker/a/b", "rbee://install/worker/../x",
         "rbee://install/worker/-x", std::string("rbee://install/worker/").append(129, 'a'), "rbee://install/model/x", "rbee://open/settings",
         "rbee://open/dashboard/x", "rbee://delete/model/huggingface/a/b", "rbee://run/model/huggingface/a/b;rm -rf",
         "rbee://run/model/huggingface/a/$(id)", "rbee://run/model/huggingface/a/`id`",
         std::string("rbee://run/model/huggingface/a/").append(600, 'b'), std::string("rbee://run/model/huggingface/a/b\0c", 36)}) {
    std::string why;
    EXPECT_FALSE(parse_rbee_url(bad, why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
}

TEST(RbeeUrl, LengthLimitIsExact) {
  std::string base = "rbee://run/model/huggingface/o/";
  std::string ok_repo(96, 'r');
  std::string quant(max_rbee_url - base.size() - ok_repo.size() - 1, 'q');
  quant = quant.substr(0, 128);
  EXPECT_TRUE(parse(base + ok_repo + ":" + quant));
  EXPECT_FALSE(parse(std::string(base).append(97, 'r')));
}

// Found by the rbee_url fuzzer: a link accepted a worker id the job API refuses
// (longer than 64), so the job it submitted failed. Links now take only ids the job
// API takes, and every accepted link's job reads back.
TEST(RbeeUrl, WorkerIdsAreTheJobApisIds) {
  std::string why;
  std::string long_id = "rbee-" + std::string(60, 'f');
  EXPECT_FALSE(parse_rbee_url("rbee://install/worker/" + long_id, why));
  EXPECT_FALSE(parse_rbee_url("rbee://install/worker/a+b", why));
  auto ok = parse_rbee_url("rbee://install/worker/" + std::string(64, 'a'), why);
  ASSERT_TRUE(ok) << why;
  EXPECT_TRUE(json::read_operation(rbee_link_job(*ok)));
}
