// A command the aggregate handles, but whose repeat policy its table does not
// declare, cannot be dispatched: the compiler says so and names the command.
#include <once/application/command_dispatcher.hpp>

#include "support/ledger.hpp"

struct unlisted_command {
  static constexpr std::string_view type_name = "test.unlisted";
  BOOST_HANA_DEFINE_STRUCT(unlisted_command, (std::string, ledger_id));
};

// The ledger plus a handler for unlisted_command; its command table is the ledger's.
struct ledger_with_extra_handler : once_tests::ledger {
  using ledger::decide;
  static decision<once_tests::ledger_view> decide(current const&, unlisted_command const&, context const&) {
    return once::domain::reject("unused", "unused");
  }
};

void use(once::application::command_dispatcher<ledger_with_extra_handler>& dispatcher) {
  (void)dispatcher.dispatch(once_tests::deposit{"L", "D", 1}, {});
#ifdef ONCE_EXPECT_COMPILE_ERROR
  (void)dispatcher.dispatch(unlisted_command{"L"}, {});
#endif
}
