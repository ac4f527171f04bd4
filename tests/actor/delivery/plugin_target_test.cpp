// A plug-in delivery target (include/mailactor/delivery_target.hpp) behind its actor, over a real
// queue: the job it sees (envelope, recipients, content as stored), its answers mapped to queue
// results, and every way it can misbehave (throwing, too few results, the message gone) turned
// into a temporary result instead of a lost recipient or a dead actor.
#include <mailactor/delivery_target.hpp>

#include <nlohmann/json.hpp>

#include "actors/delivery/plugin_targets.hpp"
#include "storage/unix_time.hpp"
#include "tests/actor/actor_fixture.hpp"

namespace mailactor::actors {
namespace {

using delivery::Result;
using storage::RecipientState;
using testing::SpoolFixture;

// What a developer's target would be, answering what the test tells it to.
class ScriptedTarget : public delivery::DeliveryTarget {
 public:
  std::function<std::vector<Result>(const delivery::Job&)> answer;
  delivery::Job seen;
  std::string content;

  std::vector<Result> deliver(const delivery::Job& job, const delivery::Content& c) override {
    seen = job;
    content.clear();
    c.read([&](std::string_view piece) { content.append(piece); });
    return answer(job);
  }
};

struct PluginTargetTest : SpoolFixture {
  std::shared_ptr<ScriptedTarget> target = std::make_shared<ScriptedTarget>();
  delivery_target_actor actor;

  void SetUp() override {
    start_spool();
    actor = spawn_plugin_target(system, dir.path(), "webhook", target);
    keep(actor);
  }

  void commit(const std::string& id) {
    storage::MessageMeta m;
    m.id = id;
    m.mail_from = "sender@example.test";
    m.rcpt_to = {"A@hooks.test", "b@hooks.test"};
    m.helo = "client.example";
    m.received_at = storage::unix_now();
    caf::scoped_actor self{system};
    self->request(writer, std::chrono::seconds(5), commit_atom::value, m,
                  std::vector<storage::RoutedRecipient>{
                      {"A@hooks.test", "a@hooks.test", "webhook", "", "", ""},
                      {"b@hooks.test", "b@hooks.test", "webhook", "", "", ""}},
                  std::string("Subject: hook\r\n\r\nbody\r\n"))
        .receive([](const spool_reply& r) { EXPECT_TRUE(r.ok); }, [](caf::error&) { FAIL(); });
  }

  std::vector<storage::DeliveryResult> deliver(const std::string& id) {
    caf::scoped_actor self{system};
    std::vector<storage::DeliveryResult> out;
    self->request(actor, std::chrono::seconds(5), deliver_atom::value,
                  delivery_job{id,
                               {0, 1},
                               {"a@hooks.test", "b@hooks.test"},
                               {"", ""},
                               0,
                               {"A@hooks.test", "b@hooks.test"}})
        .receive([&](delivery_report& r) { out = r.results; }, [](caf::error&) { FAIL(); });
    return out;
  }
};

TEST_F(PluginTargetTest, SeesTheEnvelopeAndTheStoredContentAndItsAnswersBecomeResults) {
  commit("HOOK1");
  target->answer = [](const delivery::Job&) {
    Result gone = Result::permanent("HTTP 410");
    gone.code = 550;
    gone.status = "5.1.1";
    return std::vector<Result>{Result::delivered("HTTP 200"), gone};
  };
  auto results = deliver("HOOK1");
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].idx, 0u);
  EXPECT_EQ(results[0].state, RecipientState::delivered);
  EXPECT_EQ(results[0].code, 250);
  EXPECT_EQ(results[0].text, "HTTP 200");
  EXPECT_EQ(results[1].idx, 1u);
  EXPECT_EQ(results[1].state, RecipientState::failed);
  EXPECT_EQ(results[1].code, 550);
  EXPECT_EQ(results[1].enhanced, "5.1.1");
  const auto& job = target->seen;
  EXPECT_EQ(job.queue_id, "HOOK1");
  EXPECT_EQ(job.route, "webhook");
  EXPECT_EQ(job.mail_from, "sender@example.test");
  ASSERT_EQ(job.recipients.size(), 2u);
  EXPECT_EQ(job.recipients[0].address, "a@hooks.test");
  EXPECT_EQ(job.recipients[0].original, "A@hooks.test");
  auto envelope = nlohmann::json::parse(job.envelope_json);
  EXPECT_EQ(envelope["rcpt_to"], nlohmann::json({"a@hooks.test", "b@hooks.test"}));
  EXPECT_EQ(envelope["helo"], "client.example");
  EXPECT_EQ(envelope["id"], "HOOK1");
  EXPECT_EQ(target->content, "Subject: hook\r\n\r\nbody\r\n");
}

TEST_F(PluginTargetTest, ATemporaryAnswerKeepsItsCodeOrGets451) {
  commit("HOOK2");
  target->answer = [](const delivery::Job&) {
    Result busy = Result::temporary("HTTP 503");
    busy.code = 421;
    return std::vector<Result>{Result::temporary("timed out"), busy};
  };
  auto results = deliver("HOOK2");
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].state, RecipientState::pending);
  EXPECT_EQ(results[0].code, 451);
  EXPECT_EQ(results[0].enhanced, "4.0.0");
  EXPECT_EQ(results[1].code, 421);
}

TEST_F(PluginTargetTest, AThrowOrAMiscountIsTemporaryForEveryRecipientAndTheActorLivesOn) {
  commit("HOOK3");
  target->answer = [](const delivery::Job&) -> std::vector<Result> {
    throw std::runtime_error("database down");
  };
  for (const auto& r : deliver("HOOK3")) {
    EXPECT_EQ(r.state, RecipientState::pending);
    EXPECT_EQ(r.text, "webhook: database down");
  }
  target->answer = [](const delivery::Job&) {
    return std::vector<Result>{Result::delivered("one answer for two")};
  };
  auto results = deliver("HOOK3");
  ASSERT_EQ(results.size(), 2u);
  for (const auto& r : results) {
    EXPECT_EQ(r.state, RecipientState::pending);
    EXPECT_EQ(r.text, "webhook answered 1 results for 2 recipients");
  }
}

TEST_F(PluginTargetTest, AMessageGoneFromTheQueueIsNeverHandedToTheTarget) {
  bool asked = false;
  target->answer = [&](const delivery::Job&) {
    asked = true;
    return std::vector<Result>{};
  };
  auto results = deliver("NOSUCH");
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].state, RecipientState::failed);
  EXPECT_FALSE(asked);
}

TEST(PluginTargets, AnUnknownNameAndBadOptionsAreRefusedNamingThem) {
  delivery::register_delivery_target("test-target",
                                     [](Options& o) -> std::unique_ptr<delivery::DeliveryTarget> {
                                       o.take_required("url");
                                       return std::make_unique<ScriptedTarget>();
                                     });
  EXPECT_TRUE(is_plugin_target("test-target"));
  EXPECT_FALSE(is_plugin_target("nope"));
  auto table = [](std::map<std::string, Options::Value> v) {
    return Options("m.toml", "delivery.test-target", std::move(v));
  };
  EXPECT_NO_THROW(check_plugin_target("test-target", table({{"url", {"x", 3}}})));
  try {
    check_plugin_target("test-target", table({{"url", {"x", 3}}, {"workers", {"0", 4}}}));
    FAIL() << "took workers = 0";
  } catch (const OptionError& e) {
    EXPECT_STREQ(e.what(),
                 "m.toml:4: delivery.test-target.workers: must be a whole number from 1 to 64");
  }
  try {
    check_plugin_target("test-target", table({{"url", {"x", 3}}, {"urll", {"y", 5}}}));
    FAIL() << "took an unknown key";
  } catch (const OptionError& e) {
    EXPECT_STREQ(e.what(), "m.toml:5: delivery.test-target.urll: unknown key");
  }
  EXPECT_THROW(check_plugin_target("nope", table({})), std::runtime_error);
}

}  // namespace
}  // namespace mailactor::actors
