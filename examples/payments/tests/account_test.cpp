// The account aggregate's decisions, Given/When/Then, with no store at all.
#include <payments/domain/account.hpp>

#include <gtest/gtest.h>

#include <once/testing/scenario.hpp>

namespace payments::domain {
namespace {

using once::testing::scenario;

account_opened const opened{"A-1", "EUR", 10000};
payment_authorized const books{"A-1.p1", "A-1", {2500, "EUR"}, "books"};

TEST(OpeningAnAccount, StartsWithZeroTotals) {
  scenario<account>()
      .when(open_account{"A-1", "EUR", 10000})
      .then({opened})
      .then_result(account_view{"A-1", "EUR", {10000, "EUR"}, {0, "EUR"}, {0, "EUR"}, {0, "EUR"}});
}

TEST(OpeningAnAccount, IsRefusedWhenTheAccountIsAlreadyOpen) {
  scenario<account>().given({opened}).when(open_account{"A-1", "EUR", 5}).then_rejected("account_exists");
}

TEST(OpeningAnAccount, IsRefusedForAnIdOutsideTheAllowedCharacters) {
  scenario<account>().when(open_account{"A 1/x", "EUR", 5}).then_rejected("invalid_account_id");
}

// The same rule as the HTTP validation (money.hpp): an adapter that skipped it
// (a Kafka consumer) could not open an account in "eur".
TEST(OpeningAnAccount, IsRefusedForACurrencyThatIsNotThreeCapitalLetters) {
  for (auto const* currency : {"eur", "EU", "EURO", "E1R"}) {
    scenario<account>().when(open_account{"A-1", currency, 5}).then_rejected("invalid_currency");
  }
}

TEST(AuthorizingPayment, IsRefusedForAnUnknownAccountBeforeDecideRuns) {
  scenario<account>().when(authorize_payment{"A-9", {1000, "EUR"}, "lamp"}).then_rejected("account_not_found");
}

TEST(AuthorizingPayment, NumbersThePaymentWithinTheAccount) {
  scenario<account>()
      .given({opened, books})
      .when(authorize_payment{"A-1", {1000, "EUR"}, "lamp"})
      .then({payment_authorized{"A-1.p2", "A-1", {1000, "EUR"}, "lamp"}})
      .then_result(payment_view{"A-1.p2", "A-1", {1000, "EUR"}, {0, "EUR"}, "authorized", "lamp"});
}

TEST(AuthorizingPayment, IsRefusedOverTheCreditLimit) {
  scenario<account>()
      .given({opened, books})
      .when(authorize_payment{"A-1", {7501, "EUR"}, "too much"})
      .then_rejected("credit_limit_exceeded");
}

TEST(AuthorizingPayment, UsesTheCreditLimitExactly) {
  scenario<account>()
      .given({opened, books})
      .when(authorize_payment{"A-1", {7500, "EUR"}, "all"})
      .then({payment_authorized{"A-1.p2", "A-1", {7500, "EUR"}, "all"}});
}

TEST(AuthorizingPayment, IsRefusedInAnotherCurrency) {
  scenario<account>().given({opened}).when(authorize_payment{"A-1", {1, "USD"}, ""}).then_rejected("currency_mismatch");
}

TEST(AuthorizingPayment, IsRefusedForANonPositiveAmount) {
  scenario<account>().given({opened}).when(authorize_payment{"A-1", {0, "EUR"}, ""}).then_rejected("invalid_amount");
}

TEST(AuthorizingPayment, IsRefusedOnAnUnknownAccount) {
  scenario<account>().when(authorize_payment{"A-9", {1, "EUR"}, ""}).then_rejected("account_not_found");
}

TEST(CapturingPayment, CapturesPartOfTheAuthorization) {
  scenario<account>()
      .given({opened, books})
      .when(capture_payment{"A-1.p1", {1000, "EUR"}})
      .then({payment_captured{"A-1.p1", {1000, "EUR"}}})
      .then_result(payment_view{"A-1.p1", "A-1", {2500, "EUR"}, {1000, "EUR"}, "partially_captured", "books"});
}

TEST(CapturingPayment, IsRefusedBeyondWhatRemainsAuthorized) {
  scenario<account>()
      .given({opened, books, payment_captured{"A-1.p1", {2000, "EUR"}}})
      .when(capture_payment{"A-1.p1", {501, "EUR"}})
      .then_rejected("capture_exceeds_authorization");
}

TEST(CapturingPayment, IsRefusedForAnUnknownPayment) {
  scenario<account>().given({opened}).when(capture_payment{"A-1.p7", {1, "EUR"}}).then_rejected("payment_not_found");
}

TEST(SettingPaymentDescription, ChangesOnlyTheDescription) {
  scenario<account>()
      .given({opened, books})
      .when(set_payment_description{"A-1.p1", "novels"})
      .then({payment_description_set{"A-1.p1", "novels"}})
      .then_result(payment_view{"A-1.p1", "A-1", {2500, "EUR"}, {0, "EUR"}, "authorized", "novels"});
}

TEST(PayingOut, PaysOutCapturedFunds) {
  scenario<account>()
      .given({opened, books, payment_captured{"A-1.p1", {2500, "EUR"}}})
      .when(pay_out{"A-1", {2000, "EUR"}})
      .then({payout_made{"A-1.o1", "A-1", {2000, "EUR"}}})
      .then_result(payout_view{"A-1.o1", "A-1", {2000, "EUR"}});
}

TEST(PayingOut, IsRefusedBeyondTheCapturedFundsNotYetPaidOut) {
  scenario<account>()
      .given({opened, books, payment_captured{"A-1.p1", {2500, "EUR"}}, payout_made{"A-1.o1", "A-1", {2000, "EUR"}}})
      .when(pay_out{"A-1", {501, "EUR"}})
      .then_rejected("insufficient_funds");
}

TEST(RefundingAPayment, RefundsCapturedMoney) {
  scenario<account>()
      .given({opened, books, payment_captured{"A-1.p1", {2500, "EUR"}}})
      .when(refund_payment{"A-1.p1", "R-1", {1000, "EUR"}})
      .then({payment_refunded{"A-1.p1", "R-1", {1000, "EUR"}}})
      .then_result(refund_view{"R-1", "A-1.p1", {1000, "EUR"}});
}

TEST(RefundingAPayment, IsRefusedBeyondWhatWasCapturedAndNotYetRefunded) {
  scenario<account>()
      .given(
          {opened, books, payment_captured{"A-1.p1", {2500, "EUR"}}, payment_refunded{"A-1.p1", "R-1", {2000, "EUR"}}})
      .when(refund_payment{"A-1.p1", "R-2", {501, "EUR"}})
      .then_rejected("refund_exceeds_capture");
}

TEST(PayingOut, IsRefusedForFundsThatWereRefunded) {
  scenario<account>()
      .given(
          {opened, books, payment_captured{"A-1.p1", {2500, "EUR"}}, payment_refunded{"A-1.p1", "R-1", {2000, "EUR"}}})
      .when(pay_out{"A-1", {501, "EUR"}})
      .then_rejected("insufficient_funds");
}

}  // namespace
}  // namespace payments::domain
