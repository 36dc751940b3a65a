// The C ABI (pinhole.h) against the real pinholed binary.
#include "pinhole/pinhole.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstddef>
#include <cstring>
#include <mutex>
#include <span>
#include <string>
#include <vector>

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
  const char* unresolved[] = {"no-such-host.invalid"};
  pinhole_config cfg{};
  cfg.servers = unresolved;
  cfg.server_count = 1;
  pinhole_errc err = PINHOLE_E_SOCKET_ERROR;
  // A name that does not resolve (yet) is no creation failure (offline
  // start): calls fail until some server is known.
  auto* offline = pinhole_port_manager_new(&cfg, &err);
  ASSERT_NE(offline, nullptr);
  EXPECT_EQ(err, PINHOLE_OK);
  pinhole_mapping none;
  EXPECT_EQ(pinhole_get_mapping(offline, "127.0.0.1", PINHOLE_PORT_SIP, &none), PINHOLE_E_NO_SERVER_RESOLVED);
  pinhole_port_manager_free(offline);
  // A bad configuration is.
  const char* garbage[] = {"127.0.0.1:notaport"};
  cfg.servers = garbage;
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

namespace {

// What the C callbacks saw, filled on the library thread.
struct c_seen {
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::string> payloads;
  pinhole_endpoint from{};
  pinhole_mapping mapping{};
  pinhole_errc from_callback = PINHOLE_OK;  // a blocking call made from the callback
  pinhole_port_manager* pm = nullptr;
  bool call_back_in = false;
};

void on_datagram(void* user, const pinhole_mapping* m, const pinhole_endpoint* from, const uint8_t* data, size_t len) {
  auto* s = static_cast<c_seen*>(user);
  pinhole_errc nested = PINHOLE_OK;
  if (s->call_back_in) {
    pinhole_mapping other;
    nested = pinhole_get_mapping(s->pm, "127.0.0.1", PINHOLE_PORT_SIP, &other);
  }
  std::lock_guard lk(s->m);
  s->payloads.emplace_back(reinterpret_cast<const char*>(data), len);
  s->from = *from;
  s->mapping = *m;
  s->from_callback = nested;
  s->cv.notify_all();
}

bool wait_for(c_seen& s, std::size_t n) {
  std::unique_lock lk(s.m);
  return s.cv.wait_for(lk, std::chrono::seconds(3), [&] { return s.payloads.size() >= n; });
}

class CApiOptions : public ::testing::Test {
 protected:
  void SetUp() override {
    addr_ = pinhole::test::pinholed::plain_address();
    server_.emplace(std::vector<std::string>{"--listen", addr_.to_string()}, addr_);
    ASSERT_TRUE(server_->ready());
    opts_ = pinhole::test::loopback_c_options();
    ASSERT_NE(opts_, nullptr);
    ASSERT_EQ(pinhole_options_add_server(opts_, addr_.to_string().c_str()), PINHOLE_OK);
    ASSERT_EQ(pinhole_options_set_datagram_callback(opts_, on_datagram, &seen_), PINHOLE_OK);
  }
  void create() {
    pinhole_errc err = PINHOLE_E_SOCKET_ERROR;
    pm_ = pinhole_port_manager_create(opts_, &err);
    pinhole_options_free(opts_);  // the manager keeps a copy
    opts_ = nullptr;
    ASSERT_NE(pm_, nullptr);
    EXPECT_EQ(err, PINHOLE_OK);
    seen_.pm = pm_;
  }
  void TearDown() override {
    pinhole_port_manager_free(pm_);
    pinhole_options_free(opts_);
  }

  pinhole::ip_endpoint addr_;
  std::optional<pinhole::test::pinholed> server_;
  pinhole_options* opts_ = nullptr;
  pinhole_port_manager* pm_ = nullptr;
  c_seen seen_;
};

}  // namespace

TEST_F(CApiOptions, DatagramCallbackAndSendOverTheMappedSocket) {
  create();
  pinhole_mapping m;
  ASSERT_EQ(pinhole_get_mapping(pm_, "127.0.0.1", PINHOLE_PORT_AUDIO_RTP, &m), PINHOLE_OK);
  pinhole::test::udp_socket peer;
  const auto mapped = pinhole::test::ep(std::string(m.external_address) + ":" + std::to_string(m.external_port));
  const std::string hello = "RTP from the peer";
  peer.send_to(std::as_bytes(std::span(hello)), mapped);
  ASSERT_TRUE(wait_for(seen_, 1));
  {
    std::lock_guard lk(seen_.m);
    EXPECT_EQ(seen_.payloads[0], hello);
    EXPECT_STREQ(seen_.from.address, "127.0.0.1");
    EXPECT_EQ(seen_.from.port, peer.local().port);
    EXPECT_EQ(seen_.mapping.internal_port, m.internal_port);
    EXPECT_EQ(seen_.mapping.native_handle, m.native_handle);
  }
  const std::string back = "RTP to the peer";
  ASSERT_EQ(
      pinhole_send(pm_, m.internal_address, m.internal_port, "127.0.0.1", peer.local().port, back.data(), back.size()),
      PINHOLE_OK);
  const auto got = peer.receive();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(got->bytes.data()), got->bytes.size()), back);
  EXPECT_EQ(got->from.port, m.internal_port);  // from the mapped socket, not another one
  // Not a mapping of ours, and bad arguments.
  EXPECT_EQ(pinhole_send(pm_, "127.0.0.1", 9, "127.0.0.1", peer.local().port, "x", 1), PINHOLE_E_UNKNOWN_MAPPING);
  EXPECT_EQ(pinhole_send(pm_, m.internal_address, m.internal_port, "nowhere", 1, "x", 1), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(pinhole_send(pm_, m.internal_address, m.internal_port, "127.0.0.1", 1, nullptr, 1),
            PINHOLE_E_INVALID_ARGUMENT);
}

TEST_F(CApiOptions, BlockingCallFromTheCallbackIsRefused) {
  seen_.call_back_in = true;
  create();
  pinhole_mapping m;
  ASSERT_EQ(pinhole_get_mapping(pm_, "127.0.0.1", PINHOLE_PORT_AUDIO_RTP, &m), PINHOLE_OK);
  pinhole::test::udp_socket peer;
  const std::string x = "x";
  peer.send_to(std::as_bytes(std::span(x)),
               pinhole::test::ep(std::string(m.internal_address) + ":" + std::to_string(m.internal_port)));
  ASSERT_TRUE(wait_for(seen_, 1));
  std::lock_guard lk(seen_.m);
  EXPECT_EQ(seen_.from_callback, PINHOLE_E_WOULD_DEADLOCK);
}

TEST_F(CApiOptions, OptionsReachTheManager) {
  ASSERT_EQ(pinhole_options_set_port_range(opts_, PINHOLE_PORT_VIDEO_RTP, 42000, 42099), PINHOLE_OK);
  ASSERT_EQ(pinhole_options_set_rtp_rtcp_pairs(opts_, 1), PINHOLE_OK);
  ASSERT_EQ(pinhole_options_set_rto_ms(opts_, 100), PINHOLE_OK);
  ASSERT_EQ(pinhole_options_set_call_timeout_ms(opts_, 2000), PINHOLE_OK);
  create();
  uint16_t lo = 0, hi = 0;
  ASSERT_EQ(pinhole_get_port_range(pm_, PINHOLE_PORT_VIDEO_RTP, &lo, &hi), PINHOLE_OK);
  EXPECT_EQ(lo, 42000);
  EXPECT_EQ(hi, 42099);
  pinhole_mapping rtp, rtcp;
  ASSERT_EQ(pinhole_get_mapping(pm_, "127.0.0.1", PINHOLE_PORT_VIDEO_RTP, &rtp), PINHOLE_OK);
  EXPECT_GE(rtp.internal_port, 42000);
  EXPECT_LE(rtp.internal_port, 42099);
  EXPECT_EQ(rtp.internal_port % 2, 0);  // RFC 3550 §11: RTP on an even port
  ASSERT_EQ(pinhole_get_mapping(pm_, "127.0.0.1", PINHOLE_PORT_VIDEO_RTCP, &rtcp), PINHOLE_OK);
  EXPECT_EQ(rtcp.internal_port, rtp.internal_port + 1);
}

TEST_F(CApiOptions, StatsFillOnlyWhatTheCallerKnows) {
  create();
  pinhole_mapping m;
  ASSERT_EQ(pinhole_get_mapping(pm_, "127.0.0.1", PINHOLE_PORT_SIP, &m), PINHOLE_OK);
  pinhole_stats st;
  std::memset(&st, 0xab, sizeof st);
  st.size = sizeof st;
  ASSERT_EQ(pinhole_get_stats(pm_, &st), PINHOLE_OK);
  EXPECT_EQ(st.size, sizeof st);
  EXPECT_EQ(st.mappings, 1U);
  EXPECT_GE(st.requests_sent, 1U);
  EXPECT_GE(st.responses_ok, 1U);
  EXPECT_EQ(st.responses_rejected, 0U);
  // A caller built against a header that knew only `mappings`.
  pinhole_stats old;
  std::memset(&old, 0xab, sizeof old);
  old.size = offsetof(pinhole_stats, prewarmed);
  ASSERT_EQ(pinhole_get_stats(pm_, &old), PINHOLE_OK);
  EXPECT_EQ(old.size, offsetof(pinhole_stats, prewarmed));
  EXPECT_EQ(old.mappings, 1U);
  EXPECT_EQ(old.prewarmed, 0xababababababababULL);  // untouched: past the caller's struct
  old.size = 4;
  EXPECT_EQ(pinhole_get_stats(pm_, &old), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(pinhole_get_stats(pm_, nullptr), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(pinhole_get_stats(nullptr, &st), PINHOLE_E_INVALID_ARGUMENT);
}

TEST_F(CApiOptions, NetworkChangedRechecksTheMappings) {
  ASSERT_EQ(pinhole_options_set_monitor_network(opts_, 0), PINHOLE_OK);  // only the call below counts
  ASSERT_EQ(pinhole_options_set_keepalive_ms(opts_, 60000), PINHOLE_OK);
  create();
  pinhole_mapping m;
  ASSERT_EQ(pinhole_get_mapping(pm_, "127.0.0.1", PINHOLE_PORT_AUDIO_RTP, &m), PINHOLE_OK);
  pinhole_network_changed(pm_);
  pinhole_network_changed(nullptr);  // ignored
  pinhole_stats st{};
  st.size = sizeof st;
  for (int i = 0; i < 150; ++i) {
    ASSERT_EQ(pinhole_get_stats(pm_, &st), PINHOLE_OK);
    if (st.keepalives >= 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(st.network_changes, 1U);
  EXPECT_EQ(st.keepalives, 1U);  // the re-check, long before the 60 s keep-alive
  EXPECT_EQ(st.keepalives_skipped, 0U);
}

TEST_F(CApiOptions, AdoptedSocketIsMappedAndReceives) {
  create();
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  pinhole_mapping m;
  ASSERT_EQ(pinhole_adopt_socket(pm_, fd, PINHOLE_PORT_AUDIO_RTP, "127.0.0.1", &m), PINHOLE_OK);
  EXPECT_EQ(m.internal_port, ntohs(a.sin_port));
  EXPECT_EQ(m.external_port, m.internal_port);
  pinhole::test::udp_socket peer;
  const std::string x = "adopted";
  peer.send_to(std::as_bytes(std::span(x)), pinhole::test::ep("127.0.0.1:" + std::to_string(m.internal_port)));
  ASSERT_TRUE(wait_for(seen_, 1));
  EXPECT_EQ(pinhole_adopt_socket(pm_, -1, PINHOLE_PORT_AUDIO_RTP, "127.0.0.1", &m), PINHOLE_E_INVALID_ARGUMENT);
  // Taken whatever the result: a refused descriptor is closed too.
  const int other = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(other, 0);
  EXPECT_EQ(pinhole_adopt_socket(pm_, other, PINHOLE_PORT_AUDIO_RTP, nullptr, &m), PINHOLE_E_INVALID_ARGUMENT);
  EXPECT_EQ(::fcntl(other, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
}

TEST(CApiCreate, DefaultsAndFailures) {
  EXPECT_STREQ(pinhole_version(), "0.1.0");
  EXPECT_STREQ(pinhole_event_type_name(PINHOLE_EVENT_MAPPING_CHANGED), "mapping_changed");
  EXPECT_STREQ(pinhole_event_type_name(static_cast<pinhole_event_type>(7)), "unknown");
  auto* o = pinhole_options_new();
  ASSERT_EQ(pinhole_options_clear_servers(o), PINHOLE_OK);
  pinhole_errc err = PINHOLE_OK;
  EXPECT_EQ(pinhole_port_manager_create(o, &err), nullptr);
  EXPECT_EQ(err, PINHOLE_E_NO_SERVERS);
  ASSERT_EQ(pinhole_options_add_server(o, "[::1"), PINHOLE_OK);  // parsed at creation
  EXPECT_EQ(pinhole_port_manager_create(o, nullptr), nullptr);   // err may be NULL
  EXPECT_EQ(pinhole_port_manager_create(o, &err), nullptr);
  EXPECT_EQ(err, PINHOLE_E_INVALID_ARGUMENT);
  pinhole_options_free(o);
  // NULL options: the defaults (127.0.0.1:3478, which resolves).
  auto* pm = pinhole_port_manager_create(nullptr, &err);
  ASSERT_NE(pm, nullptr);
  EXPECT_EQ(err, PINHOLE_OK);
  pinhole_port_manager_free(pm);
}

// The application-owned model from C: the test's own receive loop reads the
// socket and hands STUN to pinhole_handle_datagram.
TEST(CApiAttach, StackKeepsItsSocketAndHandsInStun) {
  const auto addr = pinhole::test::pinholed::plain_address();
  pinhole::test::pinholed server({"--listen", addr.to_string()}, addr);
  ASSERT_TRUE(server.ready());
  auto* o = pinhole::test::loopback_c_options();
  ASSERT_EQ(pinhole_options_add_server(o, addr.to_string().c_str()), PINHOLE_OK);
  ASSERT_EQ(pinhole_options_set_keepalive_ms(o, 100), PINHOLE_OK);
  pinhole_errc err = PINHOLE_E_SOCKET_ERROR;
  auto* pm = pinhole_port_manager_create(o, &err);
  pinhole_options_free(o);
  ASSERT_NE(pm, nullptr);

  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local), 0);
  socklen_t len = sizeof local;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
  timeval tv{0, 50000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

  // The stack's receive loop.
  std::atomic<bool> stop{false};
  std::atomic<int> stun_taken{0}, stun_refused{0}, media{0};
  std::thread loop([&] {
    std::uint8_t buf[2048];
    while (!stop) {
      sockaddr_storage from{};
      socklen_t fl = sizeof from;
      const auto n = ::recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fl);
      if (n <= 0) continue;
      if (buf[0] <= 3) {  // RFC 7983: STUN
        if (pinhole_handle_datagram(pm, reinterpret_cast<const sockaddr*>(&local),
                                    reinterpret_cast<const sockaddr*>(&from), buf, static_cast<size_t>(n)) == 1) {
          ++stun_taken;
        } else {
          ++stun_refused;
        }
      } else {
        ++media;
      }
    }
  });
  pinhole_mapping m;
  ASSERT_EQ(pinhole_attach_socket(pm, fd, PINHOLE_PORT_AUDIO_RTP, "127.0.0.1", &m), PINHOLE_OK);
  EXPECT_EQ(m.native_handle, fd);
  EXPECT_EQ(m.internal_port, ntohs(local.sin_port));
  EXPECT_EQ(pinhole_attach_socket(pm, fd, PINHOLE_PORT_AUDIO_RTP, "127.0.0.1", &m), PINHOLE_E_ADDRESS_IN_USE);
  pinhole::test::udp_socket peer;
  const std::uint8_t rtp[12] = {0x80, 0x00};
  const std::uint8_t binding_request[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 9, 9, 9};
  const auto to = pinhole::test::ep("127.0.0.1:" + std::to_string(m.internal_port));
  peer.send_to(std::as_bytes(std::span(rtp)), to);
  peer.send_to(std::as_bytes(std::span(binding_request)), to);  // a peer's STUN: the stack's, not the library's
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // several keep-alives at 100 ms
  pinhole_stats st;
  st.size = sizeof st;
  ASSERT_EQ(pinhole_get_stats(pm, &st), PINHOLE_OK);
  EXPECT_EQ(st.attached, 1U);
  EXPECT_GE(st.keepalives, 2U);
  ASSERT_EQ(pinhole_detach_socket(pm, m.internal_address, m.internal_port), PINHOLE_OK);
  EXPECT_EQ(pinhole_detach_socket(pm, m.internal_address, m.internal_port), PINHOLE_E_UNKNOWN_MAPPING);
  stop = true;
  loop.join();
  EXPECT_GE(stun_taken.load(), 3);    // the attach's answer and keep-alive answers
  EXPECT_EQ(stun_refused.load(), 1);  // exactly the peer's Binding request
  EXPECT_EQ(media.load(), 1);
  EXPECT_NE(::fcntl(fd, F_GETFD), -1) << "the library must not close the stack's socket";
  // Nonsense never crashes and is never the library's.
  sockaddr unknown{};
  unknown.sa_family = AF_UNIX;
  EXPECT_EQ(pinhole_handle_datagram(pm, &unknown, &unknown, binding_request, sizeof binding_request), 0);
  EXPECT_EQ(pinhole_handle_datagram(pm, nullptr, nullptr, binding_request, sizeof binding_request), 0);
  EXPECT_EQ(pinhole_handle_datagram(nullptr, reinterpret_cast<const sockaddr*>(&local),
                                    reinterpret_cast<const sockaddr*>(&local), binding_request, 20),
            0);
  EXPECT_EQ(pinhole_attach_socket(pm, -1, PINHOLE_PORT_AUDIO_RTP, "127.0.0.1", &m), PINHOLE_E_INVALID_ARGUMENT);
  pinhole_port_manager_free(pm);
  EXPECT_NE(::fcntl(fd, F_GETFD), -1);
  ::close(fd);
}
