// User lookup, and the real drop in a forked child (it cannot be undone).
#include "privileges.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

using namespace pinhole::daemon;

TEST(Privileges, ResolvesUsersAndNumericIds) {
  user_ids ids;
  ASSERT_FALSE(resolve_user("root", ids));
  EXPECT_EQ(ids.uid, 0U);
  EXPECT_EQ(ids.gid, 0U);
  ASSERT_FALSE(resolve_user("nobody", ids));
  EXPECT_EQ(ids.uid, 65534U);
  ASSERT_FALSE(resolve_user("4242", ids));  // no passwd entry needed (containers)
  EXPECT_EQ(ids.uid, 4242U);
  EXPECT_EQ(ids.gid, 4242U);
}

TEST(Privileges, UnknownUserIsAClearError) {
  user_ids ids;
  const auto ec = resolve_user("no-such-user-pinhole", ids);
  EXPECT_EQ(ec, privilege_errc::unknown_user);
  EXPECT_EQ(ec.message(), "no such user");
  EXPECT_EQ(resolve_user("", ids), privilege_errc::unknown_user);
}

TEST(Privileges, DropInAChildIsPermanent) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  user_ids ids;
  ASSERT_FALSE(resolve_user("nobody", ids));
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Child: exit codes report what went wrong.
    if (drop_privileges(ids)) ::_exit(1);
    if (::getuid() != ids.uid || ::geteuid() != ids.uid || ::getgid() != ids.gid) ::_exit(2);
    if (::setuid(0) == 0) ::_exit(3);
    gid_t groups[4];
    if (::getgroups(4, groups) != 1 || groups[0] != ids.gid) ::_exit(4);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(Privileges, DropFailsWithoutRoot) {
  if (::geteuid() != 0) {
    EXPECT_TRUE(drop_privileges(user_ids{0, 0}));
    return;
  }
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (drop_privileges(user_ids{65534, 65534})) ::_exit(1);
    // Now unprivileged: dropping to another user must fail, not pretend.
    ::_exit(drop_privileges(user_ids{4242, 4242}) ? 0 : 2);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}
