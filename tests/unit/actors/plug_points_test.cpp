// The public registration refuses a backend compiled against another API version, saying which
// versions and what to do.
#include <gtest/gtest.h>
#include <mailactor/auth.hpp>
#include <mailactor/user_source.hpp>
#include <mailactor/version.hpp>

#include "actors/auth/backend_registry.hpp"
#include "routing/user_source.hpp"

namespace mailactor::auth {
namespace {

auth_actor never_built(BackendContext&, BackendOptions&) {
  throw std::logic_error("not called");
}

TEST(ApiVersion, AnotherVersionIsRefusedAtRegistration) {
  try {
    register_backend_for_api(MAILACTOR_API_VERSION + 1, "from-the-future", never_built);
    FAIL() << "registered";
  } catch (const std::runtime_error& e) {
    std::string what = e.what();
    EXPECT_NE(
        what.find("auth backend \"from-the-future\" was built against mailactor API version " +
                  std::to_string(MAILACTOR_API_VERSION + 1)),
        std::string::npos)
        << what;
    EXPECT_NE(what.find("rebuild it against this mailactor"), std::string::npos) << what;
  }
  auto names = backend_names();
  EXPECT_EQ(std::count(names.begin(), names.end(), "from-the-future"), 0);
}

TEST(ApiVersion, ARegisteredBackendKeepsItsNameAgainstTheBuiltIns) {
  register_backend("passwd-file", never_built);
  register_builtin_backends();
  BackendContext ctx;
  BackendOptions o("t.toml", "auth.passwd-file", {});
  EXPECT_THROW(make_backend("passwd-file", ctx, o), std::logic_error) << "ours, not the built-in";
}

TEST(ApiVersion, AUserSourceOfAnotherVersionIsRefused) {
  auto factory = [](Options&) -> std::shared_ptr<const routing::UserSource> { return nullptr; };
  try {
    routing::register_user_source_for_api(MAILACTOR_API_VERSION - 1, "old-ldap", factory);
    FAIL() << "registered";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("user source \"old-ldap\" was built against mailactor "
                                         "API version " +
                                         std::to_string(MAILACTOR_API_VERSION - 1)),
              std::string::npos)
        << e.what();
  }
  Options o("t.toml", "routing.old-ldap", {});
  EXPECT_THROW(routing::make_user_source("old-ldap", o), std::invalid_argument);
}

TEST(UserSourceRegistry, BuildsWhatWasRegisteredAndRefusesUnknownKeys) {
  struct Everyone : routing::UserSource {
    routing::UserAnswer find(const std::string&, const std::string&) const override {
      return routing::UserAnswer::found;
    }
    std::string name() const override { return "everyone"; }
  };
  routing::register_user_source("everyone", [](Options& o) {
    o.take("greeting");
    return std::make_shared<const Everyone>();
  });
  Options good("t.toml", "routing.everyone", {{"greeting", {"hi", 3}}});
  EXPECT_EQ(routing::make_user_source("everyone", good)->name(), "everyone");
  Options bad("t.toml", "routing.everyone", {{"greting", {"hi", 4}}});
  try {
    routing::make_user_source("everyone", bad);
    FAIL() << "accepted an unknown key";
  } catch (const OptionError& e) {
    EXPECT_STREQ(e.what(), "t.toml:4: routing.everyone.greting: unknown key");
  }
}

}  // namespace
}  // namespace mailactor::auth
