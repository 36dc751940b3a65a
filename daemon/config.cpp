// The embedded defaults and the config file reader; the JSON loader is
// config_json.cpp, the checks config_validate.cpp, the dump config_print.cpp.
#include "config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <system_error>

namespace pinhole::daemon {

namespace {

constexpr std::size_t k_max_file = 1U << 20;  // 1 MiB is plenty for a config file

std::string sys_error(int err) { return std::error_code(err, std::generic_category()).message(); }

class daemon_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "pinholed"; }
  std::string message(int e) const override {
    switch (static_cast<daemon_errc>(e)) {
      case daemon_errc::invalid_json: return "invalid JSON";
      case daemon_errc::invalid_setting: return "invalid setting";
      case daemon_errc::unreadable_config: return "cannot read the configuration";
      case daemon_errc::nothing_to_listen: return "nothing to listen on";
    }
    return "unknown pinholed error";
  }
};

}  // namespace

const std::error_category& daemon_category() noexcept {
  static const daemon_category_impl instance;
  return instance;
}

config default_config() {
  config cfg;
  for (const char* text : {"0.0.0.0:3478", "[::]:3478"}) {
    listen_spec s;
    parse_listen(text, s);
    cfg.listen.push_back(std::move(s));
  }
  return cfg;
}

outcome load_file(const std::string& path, config& cfg) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer (that would block
  // the control thread on SIGHUP); anything but a regular file is refused.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    return {daemon_errc::unreadable_config, path + ": cannot read: " + sys_error(errno)};
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return {daemon_errc::unreadable_config, path + ": cannot read: " + sys_error(err)};
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return {daemon_errc::unreadable_config,
            path + ": cannot read: " + (S_ISDIR(st.st_mode) ? sys_error(EISDIR) : std::string("not a regular file"))};
  }
  std::string text;
  std::array<char, 8192> buf{};
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return {daemon_errc::unreadable_config, path + ": cannot read: " + sys_error(err)};
    }
    if (n == 0) break;
    text.append(buf.data(), static_cast<std::size_t>(n));
    if (text.size() > k_max_file) {
      ::close(fd);
      return {daemon_errc::unreadable_config, path + ": cannot read: file larger than 1 MiB"};
    }
  }
  ::close(fd);
  outcome loaded = apply_json(text, cfg);
  if (!loaded) {
    // "config: <msg>" -> "FILE: <msg>"
    std::string inner = loaded.message();
    constexpr std::string_view prefix = "config: ";
    if (inner.rfind(prefix, 0) == 0) inner.erase(0, prefix.size());
    return {loaded.code(), path + ": " + inner};
  }
  return {};
}

}  // namespace pinhole::daemon
