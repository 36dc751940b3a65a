// systemd glue without PID 1: a Unix datagram socket stands in for
// $NOTIFY_SOCKET, descriptors placed at fd 3 stand in for socket activation.
#include "systemd.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

using namespace pinhole::daemon;

namespace {

// A bound Unix datagram socket playing systemd's notify socket.
class fake_notify_socket {
 public:
  fake_notify_socket() {
    path_ = "/tmp/pinhole-notify-test." + std::to_string(::getpid());
    ::unlink(path_.c_str());
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    path_.copy(sa.sun_path, sizeof sa.sun_path - 1);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    ::setenv("NOTIFY_SOCKET", path_.c_str(), 1);
  }
  ~fake_notify_socket() {
    ::unsetenv("NOTIFY_SOCKET");
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  fake_notify_socket(const fake_notify_socket&) = delete;
  fake_notify_socket& operator=(const fake_notify_socket&) = delete;

  std::string receive() const {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 2000) <= 0) return "(nothing)";
    char buf[4096];
    const auto n = ::recv(fd_, buf, sizeof buf, 0);
    return n < 0 ? "(error)" : std::string(buf, static_cast<std::size_t>(n));
  }

 private:
  std::string path_;
  int fd_ = -1;
};

// Puts `fd` at descriptor 3 for the duration, restoring what was there.
class at_fd3 {
 public:
  explicit at_fd3(int fd) : saved_(fd == 3 ? -1 : ::fcntl(3, F_DUPFD_CLOEXEC, 100)) {
    if (fd == 3) return;  // socket() already put it there
    EXPECT_EQ(::dup2(fd, 3), 3);
    ::close(fd);
  }
  ~at_fd3() {
    if (saved_ >= 0) {
      ::dup2(saved_, 3);
      ::close(saved_);
    } else {
      ::close(3);
    }
  }
  at_fd3(const at_fd3&) = delete;
  at_fd3& operator=(const at_fd3&) = delete;

 private:
  int saved_;
};

void set_listen_env(int n) {
  ::setenv("LISTEN_FDS", std::to_string(n).c_str(), 1);
  ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
}

}  // namespace

TEST(Systemd, NotifyIsANoOpWithoutNotifySocket) {
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_FALSE(systemd::notify_socket_set());
  EXPECT_FALSE(systemd::notify("READY=1"));
}

TEST(Systemd, NotifyDeliversTheStateToNotifySocket) {
  fake_notify_socket sock;
  EXPECT_TRUE(systemd::notify_socket_set());
  EXPECT_TRUE(systemd::started_by_systemd());
  ASSERT_TRUE(systemd::notify("READY=1\nSTATUS=answered 0"));
  EXPECT_EQ(sock.receive(), "READY=1\nSTATUS=answered 0");
  ASSERT_TRUE(systemd::notify("STOPPING=1"));
  EXPECT_EQ(sock.receive(), "STOPPING=1");
}

TEST(Systemd, NoListenFdsMeansBindOurOwn) {
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_PID");
  std::vector<int> fds{42};
  EXPECT_FALSE(systemd::listen_fds(fds));
  EXPECT_TRUE(fds.empty());
}

TEST(Systemd, ListenFdsAcceptsUdpSocketsAndUnsetsTheEnvironment) {
  const int udp = ::socket(AF_INET6, SOCK_DGRAM, 0);
  ASSERT_GE(udp, 0);
  const at_fd3 placed(udp);
  set_listen_env(1);
  std::vector<int> fds;
  const auto ec = systemd::listen_fds(fds);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_EQ(fds.size(), 1U);
  EXPECT_EQ(fds[0], 3);
  EXPECT_EQ(std::getenv("LISTEN_FDS"), nullptr);  // not passed on to children
  EXPECT_NE(::fcntl(3, F_GETFD) & FD_CLOEXEC, 0);
}

TEST(Systemd, ListenFdsRejectsAStreamSocket) {
  const int tcp = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(tcp, 0);
  const at_fd3 placed(tcp);
  set_listen_env(1);
  std::vector<int> fds;
  const auto ec = systemd::listen_fds(fds);
  EXPECT_EQ(ec, systemd::errc::not_udp_socket);
  EXPECT_EQ(ec.category().name(), std::string("systemd"));
  EXPECT_FALSE(ec.message().empty());
  EXPECT_TRUE(fds.empty());
}

TEST(Systemd, ListenFdsForAnotherProcessAreIgnored) {
  set_listen_env(1);
  ::setenv("LISTEN_PID", "1", 1);  // meant for PID 1, not us
  std::vector<int> fds;
  const auto ec = systemd::listen_fds(fds);
  EXPECT_EQ(ec, systemd::errc::no_sockets);  // announced but not ours: say so
  EXPECT_TRUE(fds.empty());
}

TEST(Systemd, WatchdogInterval) {
  ::unsetenv("WATCHDOG_USEC");
  EXPECT_EQ(systemd::watchdog_interval().count(), 0);
  ::setenv("WATCHDOG_USEC", "3000000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  EXPECT_EQ(systemd::watchdog_interval(), std::chrono::seconds(3));
  ::setenv("WATCHDOG_PID", "1", 1);  // someone else's watchdog
  EXPECT_EQ(systemd::watchdog_interval().count(), 0);
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
}

TEST(Systemd, StatusLine) {
  EXPECT_EQ(systemd::status_line(120, 2, 1, 3, 4, 2, 8),
            "STATUS=answered 120, dropped 10 (rate-limited 2, acl 1, malformed 3), 2 listeners, 8 workers");
}
