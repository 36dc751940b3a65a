// The C ABI (pinhole.h) against the real pinholed binary.
#include "pinhole/pinhole.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "client_support.hpp"

namespace {

class CApi : public ::testing::Test {
 protected:
  void SetUp() override {
    addr_ = pinhole::test::pinholed::plain_address();
    server_.emplace(std::vector<std::string>{"--listen", addr_.to_string()}, addr_);
    ASSERT_TRUE(server_->ready());
    server_text_ = addr_.to_string();
    const char* servers[] = {server_text_.c_str()};
    pinhole_config cfg{};
    cfg.servers = servers;
    cfg.server_count = 1;
    pinhole_errc err = PINHOLE_E_SOCKET_ERROR;
    pm_ = pinhole_port_manager_new(&cfg, &err);
    ASSERT_NE(pm_, nullptr);
    EXPECT_EQ(err, PINHOLE_OK);
  }
  void TearDown() override { pinhole_port_manager_free(pm_); }

  pinhole::ip_endpoint addr_;
  std::optional<pinhole::test::pinholed> server_;
  std::string server_text_;
  pinhole_port_manager* pm_ = nullptr;
};

}  // namespace

TEST_F(CApi, MappingLifecycle) {
  pinhole_mapping m;
  ASSERT_EQ(pinhole_get_mapping(pm_, "127.0.0.1", PINHOLE_PORT_AUDIO_RTP, &m), PINHOLE_OK);
  EXPECT_STREQ(m.internal_address, "127.0.0.1");
  EXPECT_STREQ(m.external_address, "127.0.0.1");
  EXPECT_NE(m.internal_port, 0);
  EXPECT_EQ(m.external_port, m.internal_port);
  EXPECT_GE(m.native_handle, 0);
  EXPECT_EQ(pinhole_update_remote_address(pm_, "127.0.0.1", 5004, m.internal_address, m.internal_port,
                                          m.external_address, m.external_port),
            PINHOLE_OK);
  EXPECT_EQ(pinhole_release_mapping(pm_, m.internal_address, m.internal_port, m.external_address, m.external_port),
            PINHOLE_OK);
  EXPECT_EQ(pinhole_release_mapping(pm_, m.internal_address, m.internal_port, m.external_address, m.external_port),
            PINHOLE_E_UNKNOWN_MAPPING);
}

TEST_F(CApi, ListenAndPortRange) {
  const auto port = pinhole::test::free_port();
  pinhole_mapping m;
  ASSERT_EQ(pinhole_start_listen(pm_, "127.0.0.1", port, &m), PINHOLE_OK);
  EXPECT_EQ(m.internal_port, port);
  EXPECT_EQ(pinhole_stop_listen(pm_, "127.0.0.1", port), PINHOLE_OK);
  EXPECT_EQ(pinhole_stop_listen(pm_, "127.0.0.1", port), PINHOLE_E_NOT_LISTENING);
  uint16_t lo = 1, hi = 1;
  EXPECT_EQ(pinhole_get_port_range(pm_, PINHOLE_PORT_SIP, &lo, &hi), PINHOLE_OK);
  EXPECT_EQ(lo, 0);
  EXPECT_EQ(hi, 0);
}

TEST_F(CApi, InvalidArgumentsNeverCrash) {
  pinhole_mapping m;
  EXPECT_EQ(pinhole_get_mapping(nullptr, "127.0.0.1", PINHOLE_PORT_SIP, &m), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(pinhole_get_mapping(pm_, nullptr, PINHOLE_PORT_SIP, &m), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(pinhole_get_mapping(pm_, "127.0.0.1", PINHOLE_PORT_SIP, nullptr), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(pinhole_get_mapping(pm_, "127.0.0.1", static_cast<pinhole_port_type>(5), &m), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(pinhole_get_mapping(pm_, "nonsense", PINHOLE_PORT_SIP, &m), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(pinhole_release_mapping(pm_, "x", 1, "y", 2), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(pinhole_start_listen(pm_, "127.0.0.1", 1, nullptr), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(pinhole_get_port_range(pm_, PINHOLE_PORT_SIP, nullptr, nullptr), PINHOLE_E_INVALID_ARGUMENT);
  pinhole_port_manager_free(nullptr);
}

TEST(CApiErrors, StrerrorAndCreationFailures) {
  EXPECT_STREQ(pinhole_strerror(PINHOLE_OK), "success");
  EXPECT_NE(std::string(pinhole_strerror(PINHOLE_E_TIMEOUT)).find("timed out"), std::string::npos);
  EXPECT_STREQ(pinhole_strerror(PINHOLE_E_OUT_OF_MEMORY), "out of memory");
  EXPECT_STREQ(pinhole_strerror(static_cast<pinhole_errc>(77)), "unknown pinhole error");
  // A name that does not resolve (yet) is an offline start, not an error;
  // a server entry that does not parse is.
  const char* unresolved[] = {"no-such-host.invalid"};
  pinhole_config cfg{};
  cfg.servers = unresolved;
  cfg.server_count = 1;
  pinhole_errc err = PINHOLE_OK;
  auto* offline = pinhole_port_manager_new(&cfg, &err);
  ASSERT_NE(offline, nullptr);
  pinhole_mapping om;
  // errc::no_server_resolved (19); pinhole.h names it PINHOLE_E_NO_SERVER_RESOLVED.
  EXPECT_EQ(static_cast<int>(pinhole_get_mapping(offline, "127.0.0.1", PINHOLE_PORT_SIP, &om)), 19);
  pinhole_port_manager_free(offline);
  const char* bad[] = {"bad host name"};
  cfg.servers = bad;
  EXPECT_EQ(pinhole_port_manager_new(&cfg, &err), nullptr);
  EXPECT_EQ(err, PINHOLE_E_INVALID_ARGUMENT);
  // A server nobody listens on: ICMP port unreachable, reported at once.
  const pinhole::test::dead_endpoint nobody;
  const auto dead = nobody.text();
  const char* down[] = {dead.c_str()};
  cfg.servers = down;
  auto* pm = pinhole_port_manager_new(&cfg, &err);
  ASSERT_NE(pm, nullptr);
  pinhole_mapping m;
  EXPECT_EQ(pinhole_get_mapping(pm, "127.0.0.1", PINHOLE_PORT_SIP, &m), PINHOLE_E_SERVER_UNREACHABLE);
  pinhole_port_manager_free(pm);
}
