// The account aggregate's state. Payments are entities inside the account:
// the credit limit is an invariant over all of an account's authorizations,
// so they share one consistency boundary (see docs/domain-model.md). The
// root holds the totals the invariants need; each payment is stored beside
// it and read only by the commands that name it, so a command costs the same
// on an account with ten payments as on one with a hundred thousand.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <boost/hana/define_struct.hpp>

#include <once/domain/entities.hpp>

namespace payments::domain {

struct payment_state {
  BOOST_HANA_DEFINE_STRUCT(payment_state, (std::int64_t, amount), (std::int64_t, captured), (std::string, description),
                           // optional: states stored before refunds existed decode as "none refunded"
                           (std::optional<std::int64_t>, refunded));
};

struct account_state {
  BOOST_HANA_DEFINE_STRUCT(account_state, (std::string, account_id), (std::string, currency),
                           (std::int64_t, credit_limit), (std::int64_t, authorized_total),
                           (std::int64_t, captured_total), (std::int64_t, paid_out_total),
                           (std::int64_t, payments_authorized),  // numbers payment ids: <account>.p<n>
                           (std::int64_t, payouts_made),         // numbers payout ids: <account>.o<n>
                           (once::domain::entities<payment_state>, payments),
                           (std::optional<std::int64_t>, refunded_total));  // optional, as payment_state::refunded
};

}  // namespace payments::domain
