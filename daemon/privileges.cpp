#include "privileges.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <vector>

namespace pinhole::daemon {
namespace {

class category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "privileges"; }
  std::string message(int ev) const override {
    switch (static_cast<privilege_errc>(ev)) {
      case privilege_errc::unknown_user: return "no such user";
      case privilege_errc::setgroups_failed: return "cannot clear supplementary groups";
      case privilege_errc::setgid_failed: return "cannot change group";
      case privilege_errc::setuid_failed: return "cannot change user";
      case privilege_errc::still_privileged: return "root privileges could be regained after the drop";
    }
    return "unknown privilege error";
  }
};

}  // namespace

const std::error_category& privilege_category() noexcept {
  static const category_impl instance;
  return instance;
}

std::error_code resolve_user(const std::string& name, user_ids& out) {
  if (name.empty()) return privilege_errc::unknown_user;
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buf(static_cast<std::size_t>(size > 0 ? size : 16384));
  passwd pw{};
  passwd* found = nullptr;
  int rc = 0;
  while ((rc = ::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found)) == ERANGE && buf.size() < (1U << 20)) {
    buf.resize(buf.size() * 2);
  }
  if (rc == 0 && found != nullptr) {
    out.uid = pw.pw_uid;
    out.gid = pw.pw_gid;
    return {};
  }
  // A bare number: a UID without a passwd entry (as in containers).
  if (std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    unsigned long v = 0;
    const auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), v);
    if (ec == std::errc{} && ptr == name.data() + name.size() && v < 0xFFFFFFFFUL) {
      out.uid = static_cast<uid_t>(v);
      out.gid = static_cast<gid_t>(v);
      return {};
    }
  }
  return privilege_errc::unknown_user;
}

std::error_code drop_privileges(const user_ids& ids) {
  if (::setgroups(1, &ids.gid) != 0) return privilege_errc::setgroups_failed;
  if (::setgid(ids.gid) != 0) return privilege_errc::setgid_failed;
  if (::setuid(ids.uid) != 0) return privilege_errc::setuid_failed;
  // No later execve may gain privileges (setuid binaries, file capabilities).
  (void)::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  if (ids.uid != 0 && ::setuid(0) == 0) return privilege_errc::still_privileged;
  return {};
}

}  // namespace pinhole::daemon
