#include "generation.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <sstream>

#include "renaming.hpp"

namespace once::new_service {
namespace fs = std::filesystem;
namespace {

std::string read_file(fs::path const& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in) throw fs::filesystem_error("cannot read", path, std::make_error_code(std::errc::io_error));
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

void write_file(fs::path const& path, std::string const& text, fs::perms permissions) {
  fs::create_directories(path.parent_path());
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out << text;
  out.close();
  if (!out) throw fs::filesystem_error("cannot write", path, std::make_error_code(std::errc::io_error));
  fs::permissions(path, permissions);
}

// A CMake build tree (it holds a CMakeCache.txt, whatever its name) or a hidden directory (.git, .cache).
bool is_build_output(fs::path const& directory) {
  return directory.filename().string().starts_with(".") || fs::exists(directory / "CMakeCache.txt");
}

// The example's files, relative to it, in a stable order; build trees and hidden directories are not its sources.
std::vector<fs::path> files_of(fs::path const& example) {
  std::vector<fs::path> files;
  for (auto entry = fs::recursive_directory_iterator{example}; entry != fs::recursive_directory_iterator{}; ++entry) {
    if (entry->is_directory() && is_build_output(entry->path())) {
      entry.disable_recursion_pending();
      continue;
    }
    if (entry->is_regular_file()) files.push_back(fs::relative(entry->path(), example));
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string replace_all(std::string text, std::string_view placeholder, std::string_view value) {
  for (auto at = text.find(placeholder); at != std::string::npos; at = text.find(placeholder, at + value.size())) {
    text.replace(at, placeholder.size(), value);
  }
  return text;
}

// The example's top CMakeLists.txt builds inside the framework's tree and on
// its own; a generated project only ever builds on its own. Its opening comment
// becomes the project's, and the block guarded by `if(NOT TARGET once::domain)`
// (the standalone set-up: project(), find_package(once)) is unwrapped.
std::string standalone_cmake(std::string const& text, std::string const& header) {
  std::istringstream lines{text};
  std::string line;
  std::string out = header;
  bool in_opening_comment = true;
  bool in_standalone_block = false;
  while (std::getline(lines, line)) {
    if (in_opening_comment && line.starts_with("#")) continue;
    in_opening_comment = false;
    if (line == "if(NOT TARGET once::domain)") {
      in_standalone_block = true;
      continue;
    }
    if (in_standalone_block && line == "endif()") {
      in_standalone_block = false;
      continue;
    }
    if (in_standalone_block && line.starts_with("  ")) line.erase(0, 2);
    out += line + "\n";
  }
  return out;
}

// The example's README, one heading level down, under the project's own introduction.
std::string project_readme(std::string const& example_readme, std::string const& introduction) {
  std::istringstream lines{example_readme};
  std::string line;
  std::string out = introduction;
  bool in_code = false;
  while (std::getline(lines, line)) {
    if (line.starts_with("```")) in_code = !in_code;
    if (!in_code && line.starts_with("#")) line = "#" + line;
    out += line + "\n";
  }
  return out;
}

std::string fill(std::string text, generation_request const& request) {
  text = replace_all(std::move(text), "@name@", request.name);
  text = replace_all(std::move(text), "@from@", request.from);
  text = replace_all(std::move(text), "@prefix@", request.prefix.string());
  text = replace_all(std::move(text), "@version@", request.framework_version);
  return text;
}

void refuse_unless_generatable(generation_request const& request, fs::path const& example) {
  bool const known = std::ranges::find(generatable_examples, request.from) != std::end(generatable_examples);
  if (!known) {
    throw refusal{"'" + request.from + "' is not an example to generate from (payments, inventory or claims)"};
  }
  if (!fs::is_directory(example)) {
    throw refusal{"the " + request.from + " example is not installed at " + example.string()};
  }
  if (auto const reason = refuse_name(request.name)) throw refusal{*reason};
}

// A name the example already uses would merge two of its things into one (a
// namespace `account` around a type `account`): refused, unless it is the
// example's own name.
void refuse_names_in_use(generation_request const& request, std::map<fs::path, std::string> const& sources) {
  if (request.name == request.from) return;
  auto const wanted = spell(request.name);
  for (auto const& [path, text] : sources) {
    auto const names = identifiers(text);
    for (auto const& spelling : {wanted.lower, wanted.camel, wanted.upper}) {
      if (names.contains(spelling)) {
        throw refusal{"'" + request.name + "' already names something in the " + request.from + " example (" +
                      spelling + " in " + path.string() + "); choose a name it does not use"};
      }
    }
  }
}

void refuse_unless_free(fs::path const& root) {
  if (!fs::exists(root)) return;
  if (!fs::is_directory(root) || !fs::is_empty(root)) {
    throw refusal{root.string() + " exists and is not empty; once-new-service never overwrites"};
  }
}

fs::path staging_beside(fs::path const& root) {
  std::random_device entropy;
  auto const suffix = std::to_string(entropy());
  return root.parent_path() / ("." + root.filename().string() + ".partial-" + suffix);
}

}  // namespace

generated_project generate(generation_request const& request) {
  auto const example = request.data_dir / "examples" / request.from;
  refuse_unless_generatable(request, example);
  auto const root = fs::absolute(request.out) / request.name;
  refuse_unless_free(root);

  std::map<fs::path, std::string> sources;
  for (auto const& file : files_of(example)) sources.emplace(file, read_file(example / file));
  refuse_names_in_use(request, sources);

  auto const from = spell(request.from);
  auto const to = spell(request.name);
  auto const skeleton = request.data_dir / "new-service";
  auto const cmake_header = fill(read_file(skeleton / "CMakeLists.header"), request);
  auto const readme_introduction = fill(read_file(skeleton / "README.header.md"), request);

  fs::create_directories(root.parent_path());
  auto const staging = staging_beside(root);
  generated_project project{.root = root, .files = {}};
  try {
    for (auto const& [path, text] : sources) {
      auto const target = fs::path{rename(path.string(), from, to)};
      auto renamed = rename(text, from, to);
      if (path == "CMakeLists.txt") renamed = standalone_cmake(renamed, cmake_header);
      if (path == "README.md") renamed = project_readme(renamed, readme_introduction);
      write_file(staging / target, renamed, fs::status(example / path).permissions());
      project.files.push_back(target);
    }
    if (!sources.contains("README.md")) {
      write_file(staging / "README.md", readme_introduction, fs::perms(0644));
      project.files.emplace_back("README.md");
    }
    // The project's own files: its build-and-test script and what git should not track.
    write_file(staging / "scripts" / "test", fill(read_file(skeleton / "test"), request),
               fs::status(skeleton / "test").permissions() | fs::perms::owner_exec);
    project.files.emplace_back("scripts/test");
    write_file(staging / ".gitignore", read_file(skeleton / "gitignore"), fs::perms(0644));
    project.files.emplace_back(".gitignore");
    if (fs::exists(root)) fs::remove(root);  // empty, checked above
    fs::rename(staging, root);
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(staging, ignored);
    throw;
  }
  return project;
}

}  // namespace once::new_service
