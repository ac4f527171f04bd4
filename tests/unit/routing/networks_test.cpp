#include "routing/networks.hpp"

#include <gtest/gtest.h>

namespace mailactor::routing {
namespace {

Networks parse(const std::vector<std::string>& entries) {
  std::string error;
  auto n = Networks::parse(entries, &error);
  EXPECT_TRUE(n) << error;
  return n ? *n : Networks{};
}

std::string refusal(const std::string& entry) {
  std::string error;
  EXPECT_FALSE(Networks::parse({entry}, &error));
  return error;
}

TEST(Networks, IPv4NetworksAndSingleAddresses) {
  auto n = parse({"10.0.0.0/8", "192.0.2.7"});
  EXPECT_TRUE(n.contains("10.200.3.4"));
  EXPECT_TRUE(n.contains("192.0.2.7"));
  EXPECT_FALSE(n.contains("192.0.2.8"));
  EXPECT_FALSE(n.contains("11.0.0.1"));
}

TEST(Networks, PrefixesThatEndInsideAByte) {
  auto n = parse({"172.16.0.0/12"});
  EXPECT_TRUE(n.contains("172.31.255.255"));
  EXPECT_FALSE(n.contains("172.32.0.0"));
  EXPECT_FALSE(n.contains("172.15.255.255"));
}

TEST(Networks, IPv6AndIPv4MappedClientAddresses) {
  auto n = parse({"2001:db8::/32", "127.0.0.0/8"});
  EXPECT_TRUE(n.contains("2001:db8:1::25"));
  EXPECT_FALSE(n.contains("2001:db9::1"));
  EXPECT_TRUE(n.contains("::ffff:127.0.0.1"));  // a dual-stack socket's view of an IPv4 client
  EXPECT_FALSE(n.contains("::1"));
}

TEST(Networks, AZeroPrefixHoldsItsWholeFamilyOnly) {
  auto v4 = parse({"0.0.0.0/0"});
  EXPECT_TRUE(v4.contains("203.0.113.9"));
  EXPECT_FALSE(v4.contains("2001:db8::1"));
  auto v6 = parse({"::/0"});
  EXPECT_TRUE(v6.contains("2001:db8::1"));
}

TEST(Networks, HostBitsBeyondThePrefixAreIgnored) {
  EXPECT_TRUE(parse({"10.1.2.3/8"}).contains("10.9.9.9"));
}

TEST(Networks, AnEmptyListHoldsNothingAndGarbageIsNoAddress) {
  Networks none = parse({});
  EXPECT_TRUE(none.empty());
  EXPECT_FALSE(none.contains("127.0.0.1"));
  EXPECT_FALSE(parse({"127.0.0.1"}).contains("localhost"));
}

TEST(Networks, RefusesWhatIsNotANetworkWithTheEntryNamed) {
  EXPECT_EQ(refusal("mail.example.com"),
            "\"mail.example.com\" is not an IPv4 or IPv6 address or network");
  EXPECT_EQ(refusal("10.0.0.0/33"), "\"10.0.0.0/33\": the prefix length must be 0 to 32");
  EXPECT_EQ(refusal("::1/129"), "\"::1/129\": the prefix length must be 0 to 128");
  EXPECT_EQ(refusal("10.0.0.0/"), "\"10.0.0.0/\": the prefix length must be 0 to 32");
  EXPECT_EQ(refusal("10.0.0.0/-1"), "\"10.0.0.0/-1\": the prefix length must be 0 to 32");
  EXPECT_EQ(refusal("10.0.0.0/8/8"), "\"10.0.0.0/8/8\": the prefix length must be 0 to 32");
}

}  // namespace
}  // namespace mailactor::routing
