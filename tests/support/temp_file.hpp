// A temporary file with the given content, removed at scope exit (tests only).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace pinhole::test {

class temp_file {
 public:
  explicit temp_file(const std::string& content) {
    char tmpl[] = "/tmp/pinhole_test_XXXXXX";
    const int fd = ::mkstemp(tmpl);
    EXPECT_GE(fd, 0);
    path_ = tmpl;
    if (fd >= 0) {
      EXPECT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
      ::close(fd);
    }
  }
  ~temp_file() { ::unlink(path_.c_str()); }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace pinhole::test
