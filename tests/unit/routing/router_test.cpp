#include "routing/router.hpp"

#include <gtest/gtest.h>

namespace {

using namespace mailactor::routing;
using Kind = Resolution::Kind;

// A user source that cannot answer, as a Dovecot userdb that is down.
class BrokenSource : public UserSource {
 public:
  UserAnswer find(const std::string&, const std::string&) const override {
    return UserAnswer::failed;
  }
  std::string name() const override { return "broken"; }
};

Router make_router(const std::string& aliases, std::vector<std::string> users = {},
                   LocalMode mode = LocalMode::mailboxes) {
  RouterSettings s;
  s.local_domains = {"example.test", "other.test"};
  s.mode = mode;
  s.aliases = AliasTable::parse(aliases);
  EXPECT_TRUE(s.aliases.problems().empty());
  s.users.push_back(std::make_shared<UserList>("static", users));
  return Router(std::move(s));
}

std::vector<std::string> finals(const Resolution& r) {
  std::vector<std::string> out;
  for (const auto& f : r.recipients)
    out.push_back(f.address);
  return out;
}

const char* kAliases =
    "postmaster: alice\n"
    "team@example.test: alice, bob, carol\n"
    "all@example.test: team, alice, bob\n"  // duplicates through team
    "self@example.test: self, alice\n"      // names itself: no such user -> loop
    "alice2@example.test: alice2, bob\n"    // names itself: the user alice2's mailbox
    "loop1@example.test: loop2\n"
    "loop2@example.test: loop1\n"
    "ghost@example.test: alice, nobody\n"
    "cross@example.test: dave@other.test\n"
    "*@other.test: dave\n"
    "d0: d1\nd1: d2\nd2: d3\nd3: d4\nd4: d5\nd5: d6\nd6: d7\nd7: d8\nd8: d9\nd9: d10\n"
    "d10: alice\n";

TEST(Router, ResolvesTableOfAddresses) {
  auto router = make_router(kAliases, {"alice", "bob", "carol", "alice2", "dave@other.test"});
  struct Case {
    const char* address;
    Kind kind;
    std::vector<std::string> finals;
  };
  const std::vector<Case> cases = {
      {"alice@example.test", Kind::accepted, {"alice@example.test"}},
      {"ALICE@Example.TEST", Kind::accepted, {"alice@example.test"}},       // case-insensitive
      {"alice+news@example.test", Kind::accepted, {"alice@example.test"}},  // +detail
      {"alice+@example.test", Kind::accepted, {"alice@example.test"}},
      {"+alice@example.test", Kind::unknown_user, {}},  // no base before the separator
      {"team@example.test",
       Kind::accepted,
       {"alice@example.test", "bob@example.test", "carol@example.test"}},
      {"team+x@example.test",
       Kind::accepted,
       {"alice@example.test", "bob@example.test", "carol@example.test"}},
      {"all@example.test",
       Kind::accepted,  // duplicates removed
       {"alice@example.test", "bob@example.test", "carol@example.test"}},
      {"alice2@example.test", Kind::accepted, {"alice2@example.test", "bob@example.test"}},
      {"self@example.test", Kind::loop, {}},
      {"loop1@example.test", Kind::loop, {}},
      {"ghost@example.test", Kind::unknown_user, {}},  // one target unknown: refused whole
      {"nobody@example.test", Kind::unknown_user, {}},
      {"team@other.test", Kind::accepted, {"dave@other.test"}},  // catch-all of other.test
      {"cross@example.test", Kind::accepted, {"dave@other.test"}},
      {"d1@example.test", Kind::accepted, {"alice@example.test"}},  // 10 alias levels: fine
      {"d0@example.test", Kind::too_deep, {}},                      // 11: too deep
      {"postmaster@example.test", Kind::accepted, {"alice@example.test"}},
      {"Postmaster", Kind::accepted, {"alice@example.test"}},  // <Postmaster>: first domain
      {"alice@elsewhere.test", Kind::not_local, {}},
  };
  for (const auto& c : cases) {
    auto r = router.resolve(c.address);
    EXPECT_EQ(r.kind, c.kind) << c.address << ": " << to_string(r.kind);
    EXPECT_EQ(finals(r), c.finals) << c.address;
    EXPECT_FALSE(r.steps.empty()) << c.address;
  }
}

TEST(Router, MailboxRouteNamesTheMailbox) {
  auto r = make_router("", {"alice"}).resolve("Alice+x@example.test");
  ASSERT_EQ(r.recipients.size(), 1u);
  EXPECT_EQ(r.recipients[0].route, Route::maildir());
  EXPECT_EQ(r.recipients[0].target, "alice@example.test");
}

TEST(Router, UserWithDetailInItsNameWinsOverTheBase) {
  auto r = make_router("", {"alice", "alice+lists"}).resolve("alice+lists@example.test");
  EXPECT_EQ(finals(r), std::vector<std::string>{"alice+lists@example.test"});
}

TEST(Router, DetailSeparatorIsConfigurable) {
  RouterSettings s;
  s.local_domains = {"example.test"};
  s.mode = LocalMode::mailboxes;
  s.detail_separator = "-";
  s.users.push_back(std::make_shared<UserList>("static", std::vector<std::string>{"alice"}));
  Router router(std::move(s));
  EXPECT_EQ(router.resolve("alice-x@example.test").kind, Kind::accepted);
  EXPECT_EQ(router.resolve("alice+x@example.test").kind, Kind::unknown_user);
}

TEST(Router, UserBoundToADomainIsOnlyThere) {
  auto router = make_router("", {"eve@other.test"});
  EXPECT_EQ(router.resolve("eve@other.test").kind, Kind::accepted);
  EXPECT_EQ(router.resolve("eve@example.test").kind, Kind::unknown_user);
}

TEST(Router, CatchAllOnlyWhenNoUserMatches) {
  auto router = make_router("*@example.test: bob\n", {"alice", "bob"});
  EXPECT_EQ(finals(router.resolve("alice@example.test")),
            std::vector<std::string>{"alice@example.test"});
  EXPECT_EQ(finals(router.resolve("random@example.test")),
            std::vector<std::string>{"bob@example.test"});
}

TEST(Router, FailingSourceIsATemporaryFailureUnlessAnotherFindsTheUser) {
  RouterSettings s;
  s.local_domains = {"example.test"};
  s.mode = LocalMode::mailboxes;
  s.users.push_back(std::make_shared<BrokenSource>());
  s.users.push_back(std::make_shared<UserList>("static", std::vector<std::string>{"alice"}));
  Router router(std::move(s));
  EXPECT_EQ(router.resolve("alice@example.test").kind, Kind::accepted);
  EXPECT_EQ(router.resolve("bob@example.test").kind, Kind::lookup_failed);
}

TEST(Router, ExpansionIsCapped) {
  std::string aliases = "big:";
  for (int i = 0; i < 20; ++i)
    aliases += std::string(i ? "," : "") + " u" + std::to_string(i);
  std::vector<std::string> users;
  for (int i = 0; i < 20; ++i)
    users.push_back("u" + std::to_string(i));
  RouterSettings s;
  s.local_domains = {"example.test"};
  s.mode = LocalMode::mailboxes;
  s.aliases = AliasTable::parse(aliases);
  s.users.push_back(std::make_shared<UserList>("static", users));
  s.max_expansion = 10;
  Router router(std::move(s));
  EXPECT_EQ(router.resolve("big@example.test").kind, Kind::too_wide);
}

TEST(Router, IngestModeAcceptsEveryLocalPartAsGiven) {
  auto router = make_router("", {}, LocalMode::ingest);
  auto r = router.resolve("Anything@Example.test");
  EXPECT_EQ(r.kind, Kind::accepted);
  ASSERT_EQ(r.recipients.size(), 1u);
  EXPECT_EQ(r.recipients[0].address, "Anything@Example.test");
  EXPECT_EQ(r.recipients[0].route, Route::ingest());
  EXPECT_EQ(router.resolve("x@elsewhere.test").kind, Kind::not_local);
  EXPECT_TRUE(router.missing_postmasters().empty());
}

TEST(Router, MissingPostmasterIsNamedPerDomain) {
  EXPECT_EQ(make_router("", {"alice"}).missing_postmasters(),
            (std::vector<std::string>{"example.test", "other.test"}));
  EXPECT_EQ(make_router("postmaster@example.test: alice\n", {"alice"}).missing_postmasters(),
            std::vector<std::string>{"other.test"});
  EXPECT_TRUE(make_router("", {"alice", "postmaster"}).missing_postmasters().empty());
}

TEST(Router, AliasToAnotherDomainIsAConfigError) {
  RouterSettings s;
  s.local_domains = {"example.test"};
  s.aliases = AliasTable::parse("\nfwd: someone@gmail.test\n");
  try {
    Router router(std::move(s));
    FAIL() << "accepted a forwarding alias";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
  }
}

TEST(Router, RouteNamesRoundTrip) {
  for (Route r : {Route::ingest(), Route::maildir(), Route::relay(), Route::lmtp()})
    EXPECT_EQ(parse_route(to_string(r)), r);
  EXPECT_FALSE(parse_route("pipe"));
  EXPECT_TRUE(Route::lmtp().builtin());
  EXPECT_FALSE(Route::plugin("webhook").builtin());
}

Router routed_router(LocalMode mode) {
  RouterSettings s;
  s.local_domains = {"example.test"};
  s.mode = mode;
  s.aliases = AliasTable::parse("postmaster: alice\nops: alerts, alice\n");
  s.users.push_back(std::make_shared<UserList>("static", std::vector<std::string>{"alice"}));
  s.routes = {{"hooks.test", Route::plugin("webhook")},
              {"alerts@example.test", Route::plugin("webhook")}};
  return Router(std::move(s));
}

// [routing.routes]: a listed domain (ours or not) or address goes to its route before aliases,
// users and the ingest mode are asked; +detail and case do not hide it.
TEST(Router, ListedDomainsAndAddressesTakeTheirRoute) {
  for (auto mode : {LocalMode::mailboxes, LocalMode::ingest}) {
    Router router = routed_router(mode);
    auto r = router.resolve("Anyone@HOOKS.test");
    ASSERT_EQ(r.kind, Kind::accepted);
    ASSERT_EQ(r.recipients.size(), 1u);
    EXPECT_EQ(r.recipients[0].address, "anyone@hooks.test");
    EXPECT_EQ(r.recipients[0].route, Route::plugin("webhook"));
    EXPECT_EQ(r.steps.back(), "anyone@hooks.test: route webhook");
    r = router.resolve("alerts+disk@example.test");
    ASSERT_EQ(r.kind, Kind::accepted);
    EXPECT_EQ(r.recipients[0].address, "alerts+disk@example.test");
    EXPECT_EQ(r.recipients[0].route, Route::plugin("webhook"));
    EXPECT_EQ(router.resolve("bob@other.test").kind, Kind::not_local);
  }
}

TEST(Router, AnAliasTargetThatIsListedTakesItsRoute) {
  Router router = routed_router(LocalMode::mailboxes);
  auto r = router.resolve("ops@example.test");
  ASSERT_EQ(r.kind, Kind::accepted);
  ASSERT_EQ(r.recipients.size(), 2u);
  EXPECT_EQ(r.recipients[0].address, "alerts@example.test");
  EXPECT_EQ(r.recipients[0].route, Route::plugin("webhook"));
  EXPECT_EQ(r.recipients[1].address, "alice@example.test");
  EXPECT_EQ(r.recipients[1].route, Route::maildir());
}

}  // namespace
