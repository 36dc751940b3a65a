// Replays a fuzz target over a corpus without libFuzzer, so the targets build
// with any compiler (gcc included) and run as ordinary ctest tests under the
// debug preset's ASan/UBSan. Usage: replay_<target> DIR_OR_FILE...
// Every regular file of each directory (recursively) is fed to
// LLVMFuzzerTestOneInput once; a failed invariant aborts, so ctest fails.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

bool run_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", p.c_str());
    return false;
  }
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // A copy of exactly `size` bytes on the heap, as libFuzzer does, so ASan
  // catches reads one past the end.
  std::vector<std::uint8_t> copy(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(copy.empty() ? nullptr : copy.data(), copy.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
    return 2;
  }
  std::size_t files = 0;
  bool ok = true;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path root(argv[i]);
    std::error_code ec;
    if (std::filesystem::is_regular_file(root, ec)) {
      ok = run_file(root) && ok;
      ++files;
      continue;
    }
    std::vector<std::filesystem::path> paths;
    for (const auto& e : std::filesystem::recursive_directory_iterator(root, ec)) {
      if (e.is_regular_file()) paths.push_back(e.path());
    }
    if (ec) {
      std::fprintf(stderr, "replay: cannot list %s: %s\n", root.c_str(), ec.message().c_str());
      return 2;
    }
    std::sort(paths.begin(), paths.end());
    for (const auto& p : paths) {
      ok = run_file(p) && ok;
      ++files;
    }
  }
  // An empty corpus is a configuration mistake, not a pass.
  if (files == 0) {
    std::fprintf(stderr, "replay: no input files\n");
    return 2;
  }
  std::printf("replay: %zu inputs, no failure\n", files);
  return ok ? 0 : 1;
}
