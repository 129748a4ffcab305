// The intent id of one command type is not the intent id of another.
#include <once/domain/intent_id.hpp>

#include "support/ledger.hpp"

using once::domain::intent_id;

void refund_withdrawal(intent_id<once_tests::withdraw> const&) {}

void use() {
  intent_id<once_tests::withdraw> const withdrawal{"t", "test.withdraw", "k"};
  refund_withdrawal(withdrawal);
#ifdef ONCE_EXPECT_COMPILE_ERROR
  intent_id<once_tests::deposit> const deposit{"t", "test.deposit/L", "k"};
  refund_withdrawal(deposit);
#endif
}
