#include <once/memory/memory_command_store.hpp>

#include "application/command_store_contract.hpp"

namespace once_tests {
namespace {

struct memory_store_factory {
  std::unique_ptr<once::application::command_store> make() {
    return std::make_unique<once::memory::memory_command_store>();
  }
};

INSTANTIATE_TYPED_TEST_SUITE_P(MemoryStore, CommandStoreContract, memory_store_factory);

TEST(MemoryStore, SeededAggregatesAreWhatTheFirstClaimSees) {
  once::memory::memory_command_store store;
  store.seed({{"contract.aggregate", "agg-1", "tenant-c"}, 4, R"({"n":4})"});
  auto const claimed = store.claim(contract_claim("k"), contract_waits());
  ASSERT_TRUE(claimed->claim->current().has_value());
  EXPECT_EQ(claimed->claim->current()->version, 4);
}

}  // namespace
}  // namespace once_tests
