// once-new-service: a service project generated from one of the framework's
// examples, building against the installed framework alone.
//   once-new-service --from payments|inventory|claims --name shipping --out DIR
// writes DIR/shipping (namespaces, types, targets, files and the binary
// renamed: shipping-service) and prints what it wrote. The examples are found
// relative to this program (ONCE_DATA_FROM_BIN), so an installed tree works
// wherever it is extracted.
// Exit status: 0 written, 2 refused (a bad name or option, an unknown example,
// a directory that is not empty), 1 the disk failed.
#include <cstdio>
#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>

#include "generation.hpp"

namespace {

std::filesystem::path own_directory() {
  return std::filesystem::canonical("/proc/self/exe").parent_path();
}

}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  CLI::App app{"once-new-service: a service project generated from an example of the once framework"};
  once::new_service::generation_request request;
  request.data_dir = own_directory() / ONCE_DATA_FROM_BIN;
  request.prefix = own_directory() / ONCE_PREFIX_FROM_BIN;
  request.framework_version = ONCE_VERSION;
  std::string data_dir = request.data_dir.lexically_normal().string();
  app.add_option("--from", request.from, "the example: payments, inventory or claims")->required();
  app.add_option("--name", request.name, "the service's name, a lowercase C++ identifier (shipping)")->required();
  app.add_option("--out", request.out, "the directory the project is written into, as DIR/NAME")->required();
  app.set_version_flag("--version", ONCE_VERSION);
  app.add_option("--data-dir", data_dir, "where the framework's examples are installed")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (CLI::CallForHelp const& help) {
    return app.exit(help);
  } catch (CLI::CallForVersion const& version) {
    return app.exit(version);
  } catch (CLI::ParseError const& wrong) {
    std::fprintf(stderr, "once-new-service: %s\n", wrong.what());
    return 2;
  }
  request.data_dir = data_dir;
  request.prefix = request.prefix.lexically_normal();
  if (!request.prefix.has_filename()) request.prefix = request.prefix.parent_path();  // "/opt/once/" names /opt/once

  try {
    auto const project = once::new_service::generate(request);
    for (auto const& file : project.files) std::printf("wrote %s\n", (project.root / file).c_str());
    std::printf("once-new-service: %s-service generated from the %s example in %s\n", request.name.c_str(),
                request.from.c_str(), project.root.c_str());
    std::printf("next: %s/scripts/test   (builds it and runs its tests)\n", project.root.c_str());
    return 0;
  } catch (once::new_service::refusal const& refused) {
    std::fprintf(stderr, "once-new-service: %s\n", refused.what());
    return 2;
  } catch (fs::filesystem_error const& failed) {
    std::fprintf(stderr, "once-new-service: %s\n", failed.what());
    return 1;
  }
}
