// once-new-service's work: a service project written from an example of the
// installed framework, by renaming the example (which stays the single source
// of truth) and adding the project's own build-and-test script.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace once::new_service {

// The examples a service can be generated from.
inline constexpr char const* generatable_examples[]{"payments", "inventory", "claims"};

struct generation_request {
  std::string from;                // the example: payments, inventory or claims
  std::string name;                // the service's name, a lowercase C++ identifier
  std::filesystem::path out;       // the project is written to out/name
  std::filesystem::path data_dir;  // the framework's installed data: examples/, new-service/, scripts/
  std::filesystem::path prefix;    // where the framework is installed, the generated build's CMAKE_PREFIX_PATH
  std::string framework_version;   // the framework's version, named in the generated README
};

struct generated_project {
  std::filesystem::path root;                // out/name
  std::vector<std::filesystem::path> files;  // relative to root, in the order written
};

// The request cannot be carried out as asked (a bad name, an unknown example,
// a directory that is not empty); what() is the one-line reason.
class refusal : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Writes the project, all or nothing: it is assembled beside out/name and moved
// there at the end. Throws refusal, or std::filesystem::filesystem_error when
// the disk fails.
generated_project generate(generation_request const& request);

}  // namespace once::new_service
