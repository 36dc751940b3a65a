// pinhole-bench's text and JSON reports.
#include "report.hpp"

#include <gtest/gtest.h>

#include <memory>

using namespace pinhole::bench;

namespace {
std::unique_ptr<result> sample() {
  auto r = std::make_unique<result>();
  r->server = "127.0.0.1:3478";
  r->target_rate = 1000;
  r->duration_s = 2;
  r->sockets = 64;
  r->sent = 2000;
  r->answered = 1998;
  r->send_window_s = 2;
  for (int i = 0; i < 1998; ++i) r->latency.record(40'000);
  return r;
}
}  // namespace

TEST(Report, Arithmetic) {
  const auto r = sample();
  EXPECT_EQ(r->lost(), 2U);
  EXPECT_DOUBLE_EQ(r->loss_pct(), 0.1);
  EXPECT_DOUBLE_EQ(r->offered_rps(), 1000.0);
  EXPECT_DOUBLE_EQ(r->answered_rps(), 999.0);
  result empty;
  EXPECT_EQ(empty.lost(), 0U);
  EXPECT_EQ(empty.loss_pct(), 0.0);
  EXPECT_EQ(empty.answered_rps(), 0.0);
}

TEST(Report, JsonHasTheDocumentedKeys) {
  const auto j = to_json(*sample());
  for (const char* key : {"\"sent\":2000", "\"answered\":1998", "\"lost\":2", "\"rps\":999.0", "\"p50_us\":40.",
                          "\"p99_us\":", "\"p999_us\":", "\"server\":\"127.0.0.1:3478\"", "\"loss_pct\":0.10000"}) {
    EXPECT_NE(j.find(key), std::string::npos) << key << " in " << j;
  }
  EXPECT_EQ(j.front(), '{');
  EXPECT_EQ(j.substr(j.size() - 2), "}\n");
}

TEST(Report, JsonEscapesTheServerName) {
  auto r = sample();
  r->server = "a\"b\\c\n";
  EXPECT_NE(to_json(*r).find(R"("server":"a\"b\\c\u000a")"), std::string::npos);
}

TEST(Report, TextSummary) {
  const auto t = to_text(*sample());
  EXPECT_NE(t.find("answered      1998"), std::string::npos) << t;
  EXPECT_NE(t.find("lost          2  (0.1000 %)"), std::string::npos) << t;
  EXPECT_NE(t.find("p50 40."), std::string::npos) << t;
}
