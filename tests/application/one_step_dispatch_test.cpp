// One-step commits on the memory store, whose commit_decided is the port's
// default (claim, compare, commit).
#include "application/one_step_contract.hpp"

namespace once_tests {

INSTANTIATE_TYPED_TEST_SUITE_P(MemoryStore, OneStepDispatch, memory_store_factory);

}  // namespace once_tests
