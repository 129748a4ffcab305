// Every entry of a command table states its repeat policy.
#include <once/domain/command_table.hpp>

#include "support/ledger.hpp"

using namespace once::domain;

constexpr auto complete = command_table(on<once_tests::deposit>()
                                            .key(&once_tests::deposit::deposit_id)
                                            .target(&once_tests::deposit::ledger_id)
                                            .repeat(return_prior));

#ifdef ONCE_EXPECT_COMPILE_ERROR
constexpr auto incomplete = command_table(
    on<once_tests::deposit>().key(&once_tests::deposit::deposit_id).target(&once_tests::deposit::ledger_id));
#endif
