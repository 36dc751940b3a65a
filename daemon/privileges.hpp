// Dropping root after the sockets are bound ("user" in the config, --user).
// Under systemd the unit's DynamicUser= does this instead and the daemon is
// never root; this is for pinholed started as root by hand or by another
// supervisor, so a bug in the packet path never runs with root's rights.
#pragma once

#include <sys/types.h>

#include <string>
#include <system_error>

namespace pinhole::daemon {

enum class privilege_errc {
  unknown_user = 1,  // no such user in the password database
  setgroups_failed,
  setgid_failed,
  setuid_failed,
  still_privileged,  // setuid(0) succeeded after the drop: refuse to run
};
const std::error_category& privilege_category() noexcept;
inline std::error_code make_error_code(privilege_errc e) noexcept {
  return {static_cast<int>(e), privilege_category()};
}

struct user_ids {
  uid_t uid = 0;
  gid_t gid = 0;
};

// Looks `name` up (getpwnam_r); a numeric name is accepted as a UID with the
// same number as GID when no such user exists.
std::error_code resolve_user(const std::string& name, user_ids& out);

// Becomes `ids` for good: supplementary groups cleared, then GID, then UID
// (in that order: after setuid the others are no longer allowed), then
// checks that root cannot be regained. glibc applies it to every thread.
std::error_code drop_privileges(const user_ids& ids);

}  // namespace pinhole::daemon

template <>
struct std::is_error_code_enum<pinhole::daemon::privilege_errc> : std::true_type {};
