// The fuzz targets outside libFuzzer: every file under the directories named
// on the command line goes through LLVMFuzzerTestOneInput once, so the seed
// corpus and every crash's reproducer (regressions/) run as ordinary tests.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size);

int main(int argc, char** argv) {
  std::vector<std::filesystem::path> inputs;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path const root{argv[i]};
    if (!std::filesystem::exists(root)) continue;
    for (auto const& entry : std::filesystem::recursive_directory_iterator{root}) {
      if (entry.is_regular_file()) inputs.push_back(entry.path());
    }
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "no inputs under the directories given: a corpus is required\n");
    return 1;
  }
  for (auto const& input : inputs) {
    std::ifstream in{input, std::ios::binary};
    std::string const bytes{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    LLVMFuzzerTestOneInput(reinterpret_cast<std::uint8_t const*>(bytes.data()), bytes.size());
  }
  std::printf("%zu inputs replayed\n", inputs.size());
  return 0;
}
