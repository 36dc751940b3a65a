// pinhole-example-ua: two instances place and answer a call over loopback
// through pinholed, each advertising only addresses from libpinhole.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "client_support.hpp"

using namespace pinhole;

namespace {
std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

TEST(ExampleUa, InviteOkAckThroughMappedSockets) {
  const auto stun = test::pinholed::plain_address();
  test::pinholed server({"--listen", stun.to_string()}, stun);
  ASSERT_TRUE(server.ready());
  const auto port = test::free_port();
  const std::string log = "/tmp/pinhole-example-uas-" + std::to_string(port) + ".log";
  test::child_process uas({PINHOLE_EXAMPLE_UA_PATH, "--server", stun.to_string(), "--listen",
                           "127.0.0.1:" + std::to_string(port), "--timeout", "10000"},
                          log);
  ASSERT_TRUE(uas.started());
  // Wait until the answering UA has its listen mapping.
  for (int i = 0; i < 500 && slurp(log).find("listening:") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_NE(slurp(log).find("Contact <sip:bob@127.0.0.1:" + std::to_string(port) + ">"), std::string::npos)
      << slurp(log);
  const auto uac = test::run({PINHOLE_EXAMPLE_UA_PATH, "--server", stun.to_string(), "--call",
                              "sip:bob@127.0.0.1:" + std::to_string(port), "--timeout", "5000"});
  EXPECT_EQ(uac.exit_code, 0) << uac.out;
  EXPECT_NE(uac.out.find("SIP/2.0 200 OK"), std::string::npos) << uac.out;
  EXPECT_NE(uac.out.find("CSeq: 1 ACK"), std::string::npos);
  // The caller's RTP mapping is what its SDP offers and what the callee
  // punches towards after reading the INVITE's SDP.
  const auto rtp_at = uac.out.find("RTP 127.0.0.1:");
  ASSERT_NE(rtp_at, std::string::npos);
  const auto arrow = uac.out.find("-> ", rtp_at);
  const auto rtp_external = uac.out.substr(arrow + 3, uac.out.find(',', arrow) - arrow - 3);
  const auto rtp_port = rtp_external.substr(rtp_external.find(':') + 1);
  EXPECT_NE(uac.out.find("m=audio " + rtp_port + " RTP/AVP 0"), std::string::npos) << uac.out;
  uas.stop();
  const auto callee = slurp(log);
  EXPECT_NE(callee.find("UpdateRemoteAddress(" + rtp_external + "): ok"), std::string::npos) << callee;
  EXPECT_NE(callee.find("---- received ----\nACK "), std::string::npos) << callee;
  if (!::testing::Test::HasFailure()) std::remove(log.c_str());
}
