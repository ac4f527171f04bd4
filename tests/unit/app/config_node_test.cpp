// [node] and [spool] remote: the settings of edges and spool nodes.
#include <gtest/gtest.h>

#include "config_text.hpp"

namespace mailactor::app {
namespace {

Config load(const std::string& text) {
  return load_config_text(text);
}

std::string error_of(const std::string& text) {
  try {
    load(text);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

constexpr const char* kNode = R"(
[node]
ca = "ca.pem"
cert = "edge1.pem"
key = "edge1.key"
)";

TEST(ConfigNode, AnEdgeNamesItsSpoolNodesAndCertificates) {
  Config c = load(std::string(R"(
[spool]
remote = ["10.0.0.5:7025", "[2001:db8::1]:7025"]
remote_timeout_ms = 2500
)") + kNode);
  EXPECT_EQ(c.spool_remote, (std::vector<std::string>{"10.0.0.5:7025", "[2001:db8::1]:7025"}));
  EXPECT_EQ(c.remote_timeout, std::chrono::milliseconds(2500));
  EXPECT_TRUE(c.node_tls());
  EXPECT_EQ(c.node_cert, "edge1.pem");
  EXPECT_TRUE(c.node_listen.empty());
}

TEST(ConfigNode, ASpoolNodeNamesWhereToPublishAndItsId) {
  Config c = load(std::string(kNode) + "listen = \"127.0.0.1:7025\"\nid = 7\n");
  EXPECT_EQ(c.node_listen, "127.0.0.1:7025");
  EXPECT_EQ(c.node_id, 7u);
  EXPECT_TRUE(c.spool_remote.empty());
}

TEST(ConfigNode, RemoteSpoolingWithoutCertificatesIsRefused) {
  EXPECT_NE(error_of("[spool]\nremote = [\"10.0.0.5:7025\"]\n").find("spool.remote: needs [node]"),
            std::string::npos);
}

TEST(ConfigNode, HalfAConfiguredLinkIsRefused) {
  std::string e = error_of("[node]\nca = \"ca.pem\"\ncert = \"x.pem\"\n");
  EXPECT_NE(e.find("ca, cert and key are all needed"), std::string::npos) << e;
}

TEST(ConfigNode, BadValuesNameTheKey) {
  EXPECT_NE(
      error_of(std::string(kNode) + "id = 70000\n").find("node.id: must be between 1 and 65535"),
      std::string::npos);
  EXPECT_NE(
      error_of(std::string("[spool]\nremote = [\"nohostport\"]\n") + kNode).find("spool.remote"),
      std::string::npos);
  EXPECT_NE(error_of(std::string(kNode) + "listen = \"127.0.0.1\"\n").find("node.listen"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(kNode) + "colour = 1\n").find("node.colour: unknown key"),
            std::string::npos);
}

}  // namespace
}  // namespace mailactor::app
