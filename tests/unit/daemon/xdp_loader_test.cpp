// Unit tests for the XDP fast path's control side (daemon/xdp_loader.hpp) and
// its configuration ("xdp", "xdp_required", --xdp). The packet behaviour is
// tested over veth by tests/netns/xdp.sh (netns.xdp).
#include "xdp_loader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli.hpp"
#include "config.hpp"
#include "outcome_util.hpp"

namespace pinhole::daemon {
namespace {

TEST(XdpConfig, JsonKeysApplyAndRoundTrip) {
  config cfg = default_config();
  std::string error;
  ASSERT_TRUE(succeeded(
      apply_json(R"({"xdp": {"interfaces": ["eth0", "eth1"], "mode": "generic"}, "xdp_required": true})", cfg), error))
      << error;
  EXPECT_EQ(cfg.xdp.interfaces, (std::vector<std::string>{"eth0", "eth1"}));
  EXPECT_EQ(cfg.xdp.mode, "generic");
  EXPECT_TRUE(cfg.xdp_required);
  EXPECT_TRUE(succeeded(validate(cfg), error)) << error;
  config back = default_config();
  ASSERT_TRUE(succeeded(apply_json(to_json(cfg), back), error)) << error;
  EXPECT_EQ(back, cfg);
}

TEST(XdpConfig, DefaultsAreOff) {
  const config cfg = default_config();
  EXPECT_TRUE(cfg.xdp.interfaces.empty());
  EXPECT_EQ(cfg.xdp.mode, "native");
  EXPECT_FALSE(cfg.xdp_required);
}

TEST(XdpConfig, BadValuesAreRejectedWithOneLine) {
  for (const char* text : {R"({"xdp": {"mode": "offload"}})", R"({"xdp": {"interfaces": "eth0"}})",
                           R"({"xdp": {"ifaces": []}})", R"({"xdp_required": 1})"}) {
    config cfg = default_config();
    std::string error;
    EXPECT_FALSE(succeeded(apply_json(text, cfg), error)) << text;
    EXPECT_EQ(error.rfind("config: ", 0), 0U) << error;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  }
  config cfg = default_config();
  cfg.xdp.interfaces = {"a name that is far too long"};
  std::string error;
  EXPECT_FALSE(succeeded(validate(cfg), error));
  EXPECT_NE(error.find("xdp: interfaces"), std::string::npos) << error;
}

TEST(XdpConfig, CommandLineFlags) {
  std::vector<const char*> argv = {"pinholed", "--xdp",         "veth0",          "--xdp",
                                   "veth1",    "--xdp-generic", "--xdp-required", nullptr};
  const auto r = parse_cli(static_cast<int>(argv.size() - 1), argv.data());
  ASSERT_EQ(r.what, cli_result::action::run) << r.message;
  EXPECT_EQ(r.cfg.xdp.interfaces, (std::vector<std::string>{"veth0", "veth1"}));
  EXPECT_EQ(r.cfg.xdp.mode, "generic");
  EXPECT_TRUE(r.cfg.xdp_required);
}

TEST(XdpFastPath, UnattachedHasNoMetricsAndZeroCounters) {
  xdp_fast_path x;
  EXPECT_FALSE(x.attached());
  EXPECT_EQ(x.render_metrics(), "");
  for (const auto v : x.counters()) EXPECT_EQ(v, 0U);
  x.set_answering(false);  // no-ops while nothing is loaded
  x.update(default_config(), {}, true);
}

TEST(XdpFastPath, AttachFailureIsOneLineAndLeavesNothing) {
  // Unprivileged: the load fails; as root: the interface does not exist.
  config cfg = default_config();
  cfg.xdp.interfaces = {"ph-no-such0"};
  listener l;
  l.bound = stun::transport_address::v4({127, 0, 0, 1}, 3478);
  xdp_fast_path x;
  std::string error;
  EXPECT_FALSE(x.attach(cfg, {l}, error));
  EXPECT_FALSE(error.empty());
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  EXPECT_FALSE(x.attached());
}

}  // namespace
}  // namespace pinhole::daemon
