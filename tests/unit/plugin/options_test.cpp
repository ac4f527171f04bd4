// A plug-in's option table: every mistake names the file, the line and the key; a key nobody
// took is refused as unknown.
#include <gtest/gtest.h>
#include <mailactor/options.hpp>
#include <mailactor/version.hpp>

namespace mailactor {
namespace {

Options table(std::map<std::string, Options::Value> values) {
  return Options("/etc/mailactor.toml", "delivery.webhook", std::move(values));
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const OptionError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Options, TakesWhatIsThereAndFallsBackOtherwise) {
  auto o = table({{"url", {"http://127.0.0.1:9/", 4}}, {"workers", {"3", 5}}});
  EXPECT_EQ(o.take("url"), "http://127.0.0.1:9/");
  EXPECT_EQ(o.take_int("workers", 1, 1, 64), 3);
  EXPECT_EQ(o.take("absent", "fallback"), "fallback");
  EXPECT_TRUE(o.take_bool("verify", true));
  EXPECT_NO_THROW(o.finish());
}

TEST(Options, ARangeMistakeNamesFileLineAndKey) {
  auto o = table({{"workers", {"0", 7}}});
  EXPECT_EQ(error_of([&] { o.take_int("workers", 1, 1, 64); }),
            "/etc/mailactor.toml:7: delivery.webhook.workers: must be a whole number from 1 to 64");
}

TEST(Options, NotABooleanIsRefused) {
  auto o = table({{"verify", {"yes", 2}}});
  EXPECT_EQ(error_of([&] { o.take_bool("verify", true); }),
            "/etc/mailactor.toml:2: delivery.webhook.verify: must be true or false");
}

TEST(Options, ARequiredKeyThatIsMissingIsNamed) {
  auto o = table({});
  EXPECT_EQ(error_of([&] { o.take_required("url"); }),
            "/etc/mailactor.toml: delivery.webhook.url: is required");
}

TEST(Options, AKeyNobodyTookIsUnknown) {
  auto o = table({{"url", {"x", 3}}, {"ulr", {"y", 4}}});
  o.take("url");
  EXPECT_EQ(error_of([&] { o.finish(); }),
            "/etc/mailactor.toml:4: delivery.webhook.ulr: unknown key");
}

TEST(ApiVersion, TheLibraryAndTheHeaderAgree) {
  EXPECT_EQ(api_version(), MAILACTOR_API_VERSION);
}

}  // namespace
}  // namespace mailactor
