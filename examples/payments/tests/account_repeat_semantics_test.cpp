// The account's declared repeat policies, checked row by row by the fixture.
#include <payments/domain/account.hpp>

#include <gtest/gtest.h>

#include <once/testing/repeat_semantics.hpp>

namespace payments::domain {
namespace {

account_opened const opened{"A-1", "EUR", 10000};
payment_authorized const books{"A-1.p1", "A-1", {2500, "EUR"}, "books"};
payment_captured const captured{"A-1.p1", {2500, "EUR"}};

TEST(AccountRepeatSemantics, HoldForEveryCommandAsDeclared) {
  once::testing::repeat_semantics<account>()
      .sample(open_account{"A-1", "EUR", 10000})
      .sample(authorize_payment{"A-1", {2500, "EUR"}, "books"}, {opened})
      .sample(authorize_payment{"A-1", {99999, "EUR"}, "too much"}, {opened})  // a rejection, replayed
      .sample(capture_payment{"A-1.p1", {1000, "EUR"}}, {opened, books})
      .sample(set_payment_description{"A-1.p1", "novels"}, {opened, books})
      .sample(pay_out{"A-1", {2000, "EUR"}}, {opened, books, captured})
      .sample(refund_payment{"A-1.p1", "R-1", {500, "EUR"}}, {opened, books, captured})
      .sample(refund_payment{"A-1.p1", "R-2", {9000, "EUR"}}, {opened, books, captured})  // refused, replayed
      .verify();
}

}  // namespace
}  // namespace payments::domain
