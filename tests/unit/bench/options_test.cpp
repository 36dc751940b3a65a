// pinhole-bench's command line.
#include "options.hpp"

#include <gtest/gtest.h>

using namespace pinhole::bench;

namespace {
std::optional<options> parse(std::vector<std::string> args, std::string& error) { return parse_args(args, error); }
}  // namespace

TEST(Options, TheDocumentedInterface) {
  std::string error;
  const auto o = parse({"--server", "127.0.0.1:3478", "--rate", "100000", "--duration", "2.5", "--json"}, error);
  ASSERT_TRUE(o) << error;
  EXPECT_EQ(o->server, "127.0.0.1:3478");
  EXPECT_EQ(o->rate, 100000U);
  EXPECT_DOUBLE_EQ(o->duration_s, 2.5);
  EXPECT_TRUE(o->json);
  EXPECT_EQ(o->sockets, 64U);
  EXPECT_EQ(o->batch, 16U);
  EXPECT_EQ(o->drain_ms, 500U);
  EXPECT_FALSE(o->fingerprint);
  EXPECT_FALSE(o->busy_poll);
}

TEST(Options, Tuning) {
  std::string error;
  const auto o = parse({"--server", "[::1]:3478", "--sockets", "8", "--batch", "64", "--drain-ms", "0", "--fingerprint",
                        "--rate", "0", "--busy-poll"},
                       error);
  ASSERT_TRUE(o) << error;
  EXPECT_EQ(o->sockets, 8U);
  EXPECT_EQ(o->batch, 64U);
  EXPECT_EQ(o->drain_ms, 0U);
  EXPECT_TRUE(o->fingerprint);
  EXPECT_TRUE(o->busy_poll);
  EXPECT_EQ(o->rate, 0U);
}

TEST(Options, Errors) {
  std::string error;
  EXPECT_FALSE(parse({}, error));
  EXPECT_NE(error.find("--server"), std::string::npos);
  EXPECT_FALSE(parse({"--server"}, error));
  EXPECT_FALSE(parse({"--server", "x:1", "--rate", "-5"}, error));
  EXPECT_FALSE(parse({"--server", "x:1", "--rate", "1e3"}, error));
  EXPECT_FALSE(parse({"--server", "x:1", "--duration", "0"}, error));
  EXPECT_FALSE(parse({"--server", "x:1", "--duration", "nan"}, error));
  EXPECT_FALSE(parse({"--server", "x:1", "--sockets", "0"}, error));
  EXPECT_FALSE(parse({"--server", "x:1", "--batch", "1025"}, error));
  EXPECT_FALSE(parse({"--server", "x:1", "--bogus"}, error));
  EXPECT_NE(error.find("--bogus"), std::string::npos);
}

TEST(Options, HelpNeedsNoServer) {
  std::string error;
  const auto o = parse({"--help"}, error);
  ASSERT_TRUE(o);
  EXPECT_TRUE(o->help);
  EXPECT_NE(help_text().find("--server HOST:PORT"), std::string::npos);
}

TEST(Options, ResolvesLiteralsAndNames) {
  std::string error;
  pinhole::stun::transport_address a;
  ASSERT_TRUE(resolve_server("127.0.0.1:3478", a, error));
  EXPECT_EQ(a.port, 3478);
  ASSERT_TRUE(resolve_server("[::1]:3479", a, error));
  EXPECT_EQ(a.fam, pinhole::stun::family::ipv6);
  ASSERT_TRUE(resolve_server("localhost:3480", a, error)) << error;
  EXPECT_EQ(a.port, 3480);
  EXPECT_FALSE(resolve_server("no-port", a, error));
}

TEST(Options, XdpReceiveNamesAnInterface) {
  std::string error;
  const auto o = parse({"--server", "198.51.100.1:3478", "--xdp-receive", "eth0"}, error);
  ASSERT_TRUE(o) << error;
  EXPECT_EQ(o->xdp_receive, "eth0");
  EXPECT_TRUE(parse({"--server", "198.51.100.1:3478"}, error)->xdp_receive.empty());
  EXPECT_FALSE(parse({"--server", "198.51.100.1:3478", "--xdp-receive"}, error));
  EXPECT_EQ(error, "--xdp-receive needs a value");
  EXPECT_FALSE(parse({"--server", "198.51.100.1:3478", "--xdp-receive", ""}, error));
  EXPECT_EQ(error, "--xdp-receive: expected an interface name");
}
