// The account aggregate's command table: for each command, its intent id,
// whether the account must exist (or not yet), its result (computed from the
// account after the command's events, so decide only decides), and what a
// repeat of it means. Keys come from the client (the
// Idempotency-Key); scopes embed the resource where one client key may sensibly be reused on another resource.
#pragma once

#include <chrono>
#include <string>

#include <once/domain/command_table.hpp>
#include <once/domain/decision.hpp>

#include <payments/domain/account_views.hpp>
#include <payments/domain/commands.hpp>
#include <payments/domain/ids.hpp>
#include <payments/domain/views.hpp>

namespace payments::domain {

inline once::domain::rejection no_such_account(std::string const& id) {
  return once::domain::reject("account_not_found", "no account " + id);
}
inline once::domain::rejection no_such_payment(std::string const& id) {
  return once::domain::reject("payment_not_found", "no payment " + id);
}

inline constexpr auto account_commands = once::domain::command_table(
    once::domain::on<open_account>()
        .key(once::domain::client_key)
        .target(&open_account::account_id)
        .only_if_new([](open_account const& c) {
          return once::domain::reject("account_exists", "account " + c.account_id + " is already open");
        })
        .result([](account_state const& account, open_account const&) { return view_of(account); })
        .repeat(once::domain::return_prior),

    once::domain::on<authorize_payment>()
        .key(once::domain::client_key)
        .target(&authorize_payment::account_id)
        .only_if_exists([](authorize_payment const& c) { return no_such_account(c.account_id); })
        .result([](account_state const& account, authorize_payment const&) {  // the payment just authorized
          return view_of_payment(account, payment_id_for(account.account_id, account.payments_authorized)).value();
        })
        .repeat(once::domain::return_prior)
        .retain(std::chrono::days{30}),

    once::domain::on<capture_payment>()
        .key(once::domain::client_key)
        .target([](capture_payment const& c) { return account_of_payment(c.payment_id); })
        .only_if_exists([](capture_payment const& c) { return no_such_payment(c.payment_id); })
        .result([](account_state const& account, capture_payment const& c) {
          return view_of_payment(account, c.payment_id).value();
        })
        .repeat(once::domain::return_prior)
        .retain(std::chrono::days{30}),

    once::domain::on<set_payment_description>()
        .scope(&set_payment_description::payment_id)
        .key(once::domain::client_key)
        .target([](set_payment_description const& c) { return account_of_payment(c.payment_id); })
        .only_if_exists([](set_payment_description const& c) { return no_such_payment(c.payment_id); })
        .repeat(once::domain::no_op)
        .result([](account_state const& account, set_payment_description const& c) {
          return view_of_payment(account, c.payment_id).value_or(payment_view{});
        })
        .retain(std::chrono::days{1}),

    // Named by its own refund id within the payment: a retry refunds once, the same refund id on
    // another payment is another refund.
    once::domain::on<refund_payment>()
        .scope(&refund_payment::payment_id)
        .key(&refund_payment::refund_id)
        .target([](refund_payment const& c) { return account_of_payment(c.payment_id); })
        .only_if_exists([](refund_payment const& c) { return no_such_payment(c.payment_id); })
        .result([](account_state const&, refund_payment const& c) {
          return refund_view{c.refund_id, c.payment_id, c.amount};
        })
        .repeat(once::domain::return_prior)
        .retain(std::chrono::days{30}),

    once::domain::on<pay_out>()
        .scope(&pay_out::account_id)
        .key(once::domain::client_key)
        .target(&pay_out::account_id)
        .only_if_exists([](pay_out const& c) { return no_such_account(c.account_id); })
        .result([](account_state const& account, pay_out const& c) {  // the payout just made
          return payout_view{payout_id_for(account.account_id, account.payouts_made), account.account_id, c.amount};
        })
        .repeat(once::domain::reject_conflict));

}  // namespace payments::domain
