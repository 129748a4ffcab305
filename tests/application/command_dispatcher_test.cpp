// The semantics table on the memory store.
#include "application/semantics_table_contract.hpp"

namespace once_tests {

INSTANTIATE_TYPED_TEST_SUITE_P(MemoryStore, SemanticsTable, memory_store_factory);

}  // namespace once_tests
