// The account aggregate: opens with a credit limit, authorizes payments
// within it, captures them, changes their descriptions, pays out captured
// funds. Pure decisions; see account_commands.hpp for the repeat policies.
#pragma once

#include <string_view>

#include <once/domain/aggregate.hpp>

#include <payments/domain/account_commands.hpp>
#include <payments/domain/account_state.hpp>
#include <payments/domain/commands.hpp>
#include <payments/domain/events.hpp>
#include <payments/domain/views.hpp>

namespace payments::domain {

struct account : once::domain::aggregate_types<account_state, account_event> {
  static constexpr std::string_view type_name = "payments.account";
  static constexpr std::string_view topic = "payments.account.events";
  static constexpr auto const& commands = account_commands;

  // Each decide runs after the table's state precondition (account_commands.hpp):
  // open_account finds no account, every other command finds one. Each
  // returns events or a rejection; the table computes the result from the
  // account after the events.
  static decision<> decide(current const&, open_account const&, context const&);
  static decision<> decide(current const&, authorize_payment const&, context const&);
  static decision<> decide(current const&, capture_payment const&, context const&);
  static decision<> decide(current const&, set_payment_description const&, context const&);
  static decision<> decide(current const&, pay_out const&, context const&);
  static decision<> decide(current const&, refund_payment const&, context const&);

  static void apply(account_state&, account_opened const&);
  static void apply(account_state&, payment_authorized const&);
  static void apply(account_state&, payment_captured const&);
  static void apply(account_state&, payment_description_set const&);
  static void apply(account_state&, payout_made const&);
  static void apply(account_state&, payment_refunded const&);
};

}  // namespace payments::domain
