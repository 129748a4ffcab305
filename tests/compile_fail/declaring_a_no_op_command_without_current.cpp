// A no_op command must say what its current representation is.
#include <once/domain/command_table.hpp>

#include "support/ledger.hpp"

using namespace once::domain;

constexpr auto complete = command_table(
    on<once_tests::rename>()
        .key(client_key)
        .target(&once_tests::rename::ledger_id)
        .repeat(no_op)
        .current([](once_tests::ledger_state const& s, once_tests::rename const&) { return once_tests::view_of(s); }));

#ifdef ONCE_EXPECT_COMPILE_ERROR
constexpr auto incomplete =
    command_table(on<once_tests::rename>().key(client_key).target(&once_tests::rename::ledger_id).repeat(no_op));
#endif
