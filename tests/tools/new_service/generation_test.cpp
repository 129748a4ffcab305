// The generator on the examples of this tree, laid out as the package installs them.
#include "generation.hpp"

#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "renaming.hpp"

namespace once::new_service {
namespace {
namespace fs = std::filesystem;

std::string read(fs::path const& path) {
  std::ifstream in{path};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

class Generation : public ::testing::Test {
 protected:
  void SetUp() override {
    scratch_ = fs::temp_directory_path() / ("once-new-service-test-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(scratch_);
    fs::create_directories(scratch_ / "share" / "once");
    fs::create_directory_symlink(ONCE_SOURCE_DIR "/examples", scratch_ / "share" / "once" / "examples");
    fs::create_directory_symlink(ONCE_SOURCE_DIR "/tools/new_service/skeleton",
                                 scratch_ / "share" / "once" / "new-service");
    fs::create_directories(scratch_ / "out");
  }
  void TearDown() override { fs::remove_all(scratch_); }

  generation_request request(std::string from, std::string name) const {
    return {.from = std::move(from),
            .name = std::move(name),
            .out = scratch_ / "out",
            .data_dir = scratch_ / "share" / "once",
            .prefix = "/opt/once",
            .framework_version = "0.1.0"};
  }

  // Every entry of out/, so that a refusal can be shown to leave nothing behind.
  std::vector<fs::path> written() const {
    std::vector<fs::path> entries;
    for (auto const& entry : fs::recursive_directory_iterator{scratch_ / "out"}) entries.push_back(entry.path());
    return entries;
  }

  fs::path scratch_;
};

TEST_F(Generation, RenamesTheExampleInPathsAndSources) {
  auto const project = generate(request("payments", "shipping"));
  ASSERT_EQ(project.root, scratch_ / "out" / "shipping");
  EXPECT_TRUE(fs::exists(project.root / "domain/include/shipping/domain/account.hpp"));
  EXPECT_TRUE(fs::exists(project.root / "service/shipping_routes.cpp"));
  for (auto const& file : project.files) {
    // The project's CMakeLists.txt and README name the example they came from, on purpose.
    if (file == "CMakeLists.txt" || file == "README.md") continue;
    auto const names = identifiers(read(project.root / file));
    EXPECT_FALSE(names.contains("payments")) << file;
    EXPECT_FALSE(names.contains("Payments")) << file;
    EXPECT_FALSE(names.contains("PAYMENTS")) << file;
  }
  EXPECT_NE(read(project.root / "service/main.cpp").find("shipping::service::add_routes"), std::string::npos);
}

TEST_F(Generation, WritesAStandaloneCMakeProjectWithItsTestScript) {
  auto const project = generate(request("inventory", "shipping"));
  auto const cmake = read(project.root / "CMakeLists.txt");
  EXPECT_NE(cmake.find("project(shipping LANGUAGES CXX)"), std::string::npos);
  EXPECT_NE(cmake.find("find_package(once 0.1 CONFIG REQUIRED)"), std::string::npos);
  EXPECT_EQ(cmake.find("if(NOT TARGET once::domain)"), std::string::npos);
  EXPECT_NE(cmake.find("add_executable(shipping-service"), std::string::npos);
  auto const test_script = project.root / "scripts" / "test";
  EXPECT_NE(read(test_script).find("prefix=${ONCE_PREFIX:-/opt/once}"), std::string::npos);
  EXPECT_NE(fs::status(test_script).permissions() & fs::perms::owner_exec, fs::perms::none);
  auto const readme = read(project.root / "README.md");
  EXPECT_TRUE(readme.starts_with("# shipping-service\n"));
  EXPECT_NE(readme.find("`inventory` example"), std::string::npos);
}

TEST_F(Generation, KeepsTheExecutableBitOfTheExamplesScripts) {
  auto const project = generate(request("payments", "shipping"));
  auto const smoke = project.root / "tests" / "shipping_service_smoke.sh";
  ASSERT_TRUE(fs::exists(smoke));
  EXPECT_NE(fs::status(smoke).permissions() & fs::perms::owner_exec, fs::perms::none);
}

TEST_F(Generation, RefusesADirectoryThatIsNotEmptyAndLeavesItAlone) {
  fs::create_directories(scratch_ / "out" / "shipping");
  std::ofstream{scratch_ / "out" / "shipping" / "mine.txt"} << "keep me";
  EXPECT_THROW(generate(request("claims", "shipping")), refusal);
  EXPECT_EQ(read(scratch_ / "out" / "shipping" / "mine.txt"), "keep me");
  EXPECT_EQ(written().size(), 2U);
}

TEST_F(Generation, WritesIntoAnEmptyDirectory) {
  fs::create_directories(scratch_ / "out" / "shipping");
  auto const project = generate(request("claims", "shipping"));
  EXPECT_TRUE(fs::exists(project.root / "domain/include/shipping/domain/claim.hpp"));
}

TEST_F(Generation, RefusesANameTheExampleAlreadyUses) {
  try {
    generate(request("payments", "account"));
    FAIL() << "generated a service named like the payments aggregate";
  } catch (refusal const& refused) {
    EXPECT_NE(std::string{refused.what()}.find("already names something in the payments example"), std::string::npos);
  }
  EXPECT_TRUE(written().empty());
}

TEST_F(Generation, RefusesAnUnknownExampleAndABadName) {
  EXPECT_THROW(generate(request("legacy_facade", "shipping")), refusal);
  EXPECT_THROW(generate(request("../payments", "shipping")), refusal);
  EXPECT_THROW(generate(request("payments", "Shipping")), refusal);
  EXPECT_THROW(generate(request("payments", "class")), refusal);
  EXPECT_TRUE(written().empty());
}

TEST_F(Generation, MayKeepTheExamplesOwnName) {
  auto const project = generate(request("payments", "payments"));
  EXPECT_TRUE(fs::exists(project.root / "service/payments_routes.cpp"));
}

// A build tree left inside an example is recognised by its CMakeCache.txt, not by its name:
// a source folder called builders/ is the example's, a build tree called out/ is not.
TEST_F(Generation, LeavesOutBuildTreesAndHiddenDirectoriesButNotSourcesNamedLikeThem) {
  auto const data = scratch_ / "copied" / "share" / "once";
  fs::create_directories(data / "examples");
  fs::copy(ONCE_SOURCE_DIR "/examples/inventory", data / "examples" / "inventory", fs::copy_options::recursive);
  fs::copy(ONCE_SOURCE_DIR "/tools/new_service/skeleton", data / "new-service", fs::copy_options::recursive);
  auto const example = data / "examples" / "inventory";
  fs::create_directories(example / "builders");
  std::ofstream{example / "builders" / "inventory_builder.hpp"} << "// inventory test data\n";
  fs::create_directories(example / "out" / "CMakeFiles");
  std::ofstream{example / "out" / "CMakeCache.txt"} << "CMAKE_BUILD_TYPE:STRING=Release\n";
  std::ofstream{example / "out" / "CMakeFiles" / "inventory.cpp"} << "// generated\n";
  fs::create_directories(example / ".cache");
  std::ofstream{example / ".cache" / "inventory.idx"} << "index\n";

  auto with_copy = request("inventory", "shipping");
  with_copy.data_dir = data;
  auto const project = generate(with_copy);
  EXPECT_TRUE(fs::exists(project.root / "builders" / "shipping_builder.hpp"));
  EXPECT_FALSE(fs::exists(project.root / "out"));
  EXPECT_FALSE(fs::exists(project.root / ".cache"));
}

}  // namespace
}  // namespace once::new_service
