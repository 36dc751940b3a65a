// pinhole-bench against an in-test pinholed on loopback: a short run at a
// modest rate must account for every request (bounded counts, no timing
// assertions), through the library and through the real binary, with the
// server on batched I/O and on the recvmsg/sendmsg fallback.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "child_process.hpp"
#include "load.hpp"
#include "options.hpp"
#include "outcome_util.hpp"
#include "server.hpp"
#include "settled_total.hpp"
#include "temp_file.hpp"
#include "udp_peer.hpp"

using namespace pinhole;
using namespace pinhole::daemon;

namespace {

std::uint64_t total(const server& s, counter c) { return test::settled_total(s, c); }

struct running {
  server srv;
  explicit running(const config& c) : srv(c) {
    std::string error;
    if (!succeeded(srv.bind(), error)) throw std::runtime_error(error);
    srv.start();
  }
  ~running() { srv.stop(); }
  std::string address() const { return srv.listeners().at(0).bound.to_string(); }
};

config one_worker() {
  config c = default_config();
  c.listen.clear();
  listen_spec l;
  EXPECT_TRUE(parse_listen("127.0.0.1:0", l));
  c.listen.push_back(l);
  c.workers = 1;
  return c;
}

bench::options modest_load(const std::string& server) {
  bench::options o;
  o.server = server;
  o.rate = 2000;
  o.duration_s = 1;
  o.sockets = 16;
  o.drain_ms = 1000;
  return o;
}

// modest_load against `server` through the library; every answer checked
// (Binding success, a transaction ID of this run, XOR-MAPPED-ADDRESS equal to
// the sending port), every request accounted for.
std::unique_ptr<bench::result> expect_modest_load_answered(const std::string& server) {
  const auto o = modest_load(server);
  stun::transport_address addr;
  std::string error;
  auto res = std::make_unique<bench::result>();
  EXPECT_TRUE(bench::resolve_server(o.server, addr, error)) << error;
  EXPECT_TRUE(bench::run_load(o, addr, *res, error)) << error;
  // 2000 scheduled; a starved generator may give up on the last few.
  EXPECT_GE(res->sent, 1000U) << server;
  EXPECT_EQ(res->answered, res->sent) << server;
  EXPECT_EQ(res->lost(), 0U) << server;
  EXPECT_EQ(res->invalid, 0U) << server;
  EXPECT_EQ(res->duplicates, 0U) << server;
  EXPECT_EQ(res->send_errors, 0U) << server;
  EXPECT_EQ(res->latency.count(), res->answered) << server;
  return res;
}

void expect_every_request_answered(const running& r) {
  const auto res = expect_modest_load_answered(r.address());
  EXPECT_EQ(total(r.srv, counter::answered), res->sent);
}

struct command_result {
  int status = -1;
  std::string out;
};

command_result run(const std::string& args) {
  command_result r;
  const std::string cmd = std::string(PINHOLE_BENCH_PATH) + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p) != nullptr) r.out += buf;
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// The unsigned integer after "key": in a flat JSON object (0 if absent).
std::uint64_t json_number(const std::string& json, const std::string& key) {
  const auto at = json.find("\"" + key + "\":");
  if (at == std::string::npos) return 0;
  return std::strtoull(json.c_str() + at + key.size() + 3, nullptr, 10);
}

}  // namespace

TEST(Bench, EveryRequestAnsweredBatchedIo) {
  running r(one_worker());
  expect_every_request_answered(r);
}

TEST(Bench, EveryRequestAnsweredOnTheRecvmsgFallback) {
  ::setenv("PINHOLE_NO_MMSG", "1", 1);  // read when the worker's sockets are set up
  running r(one_worker());
  ::unsetenv("PINHOLE_NO_MMSG");
  expect_every_request_answered(r);
}

TEST(Bench, BinaryReportsJson) {
  running r(one_worker());
  const auto res = run("--server " + r.address() + " --rate 2000 --duration 1 --sockets 8 --json");
  ASSERT_EQ(res.status, 0) << res.out;
  for (const char* key : {"\"lost\":0,", "\"rps\":", "\"p50_us\":", "\"p99_us\":", "\"p999_us\":"}) {
    EXPECT_NE(res.out.find(key), std::string::npos) << key << " in " << res.out;
  }
  EXPECT_GE(json_number(res.out, "sent"), 1000U) << res.out;
  EXPECT_EQ(json_number(res.out, "answered"), json_number(res.out, "sent")) << res.out;
}

TEST(Bench, BinaryExitCodes) {
  EXPECT_EQ(run("--rate 10").status, 2);
  EXPECT_EQ(run("--server 127.0.0.1:1 --rate x").status, 2);
  // A port nobody listens on: ICMP port unreachable, no answer at all.
  std::uint16_t port = 0;
  {
    test::udp_peer p(*stun::transport_address::parse("127.0.0.1:0"));
    port = p.local().port;
  }
  const auto res = run("--server 127.0.0.1:" + std::to_string(port) + " --rate 200 --duration 0.2 --drain-ms 100");
  EXPECT_EQ(res.status, 1) << res.out;
}

#ifdef PINHOLE_FLOOR_PATH
namespace {

// pinhole-floor as a child process; its address comes from the first line
// it prints ("listening 127.0.0.1:PORT").
class floor_child {
 public:
  explicit floor_child(const char* poll_us)
      : proc_({PINHOLE_FLOOR_PATH, "--listen", "127.0.0.1:0", "--poll-us", poll_us}, log_.path()) {
    for (int i = 0; i < 500 && address_.empty(); ++i) {
      std::ifstream in(log_.path());
      std::string word;
      if (in >> word >> address_ && word == "listening") break;
      address_.clear();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  const std::string& address() const { return address_; }
  int stop() { return proc_.stop(); }

 private:
  test::temp_file log_{""};
  test::child_process proc_;
  std::string address_;
};

}  // namespace

TEST(FloorResponder, AnswersEveryRequestValidlyOnEpollAndOnATimer) {
  for (const char* poll_us : {"0", "500"}) {
    floor_child child(poll_us);
    ASSERT_EQ(child.address().rfind("127.0.0.1:", 0), 0U) << "pinhole-floor printed no address";
    SCOPED_TRACE(std::string("--poll-us ") + poll_us);
    (void)expect_modest_load_answered(child.address());
    const int st = child.stop();
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "SIGTERM ends it cleanly; status " << st;
  }
}

TEST(FloorResponder, BadArgumentsExitTwo) {
  for (const char* args :
       {"", "--listen nonsense", "--listen 127.0.0.1:0 --poll-us x", "--listen 127.0.0.1:0 --bogus 1"}) {
    const std::string cmd = std::string(PINHOLE_FLOOR_PATH) + " " + args + " 2>/dev/null";
    const int st = std::system(cmd.c_str());
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 2) << args;
  }
}
#endif
