// External steps on the memory store, and the reference they carry.
#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include <once/memory/memory_command_store.hpp>

#include "application/external_steps_contract.hpp"

namespace once_tests {
namespace {

class memory_steps final : public steps_under_test {
 public:
  once::application::command_store& store() override { return store_; }
  once::application::external_step_store& steps() override { return store_; }
  std::size_t exception_count() override { return store_.exceptions(std::nullopt, false)->size(); }

 private:
  once::memory::memory_command_store store_;
};

struct memory_steps_factory {
  static std::unique_ptr<steps_under_test> make() { return std::make_unique<memory_steps>(); }
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(MemoryStore, ExternalSteps, memory_steps_factory);

TEST(ExternalReference, IsStableShortUnreservedAndDifferentPerTenantAndScope) {
  using once::application::external_reference;
  auto const reference = external_reference({"tenant-a", "scope", "key-1"});
  EXPECT_EQ(reference, external_reference({"tenant-a", "scope", "key-1"}));
  EXPECT_LE(reference.size(), 64U);
  EXPECT_TRUE(std::all_of(reference.begin(), reference.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
  })) << reference;
  EXPECT_NE(reference, external_reference({"tenant-b", "scope", "key-1"}));
  EXPECT_NE(reference, external_reference({"tenant-a", "other", "key-1"}));
  EXPECT_NE(external_reference({"ab", "c", "k"}), external_reference({"a", "bc", "k"}));
  EXPECT_EQ(external_reference({"t", "s", std::string(255, 'k')}).size(), reference.size());
}

}  // namespace once_tests
