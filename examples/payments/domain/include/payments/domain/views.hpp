// What commands answer with: the representations stored as results and
// replayed on a repeat.
#pragma once

#include <string>

#include <boost/hana/define_struct.hpp>

#include <payments/domain/money.hpp>

namespace payments::domain {

struct account_view {
  BOOST_HANA_DEFINE_STRUCT(account_view, (std::string, account_id), (std::string, currency), (money, credit_limit),
                           (money, authorized_total), (money, captured_total), (money, paid_out_total));
  friend bool operator==(account_view const&, account_view const&) = default;
};

struct payment_view {
  BOOST_HANA_DEFINE_STRUCT(payment_view, (std::string, payment_id), (std::string, account_id), (money, amount),
                           (money, captured_amount),
                           (std::string, status),  // "authorized", "partially_captured", "captured"
                           (std::string, description));
  friend bool operator==(payment_view const&, payment_view const&) = default;
};

struct refund_view {
  BOOST_HANA_DEFINE_STRUCT(refund_view, (std::string, refund_id), (std::string, payment_id), (money, amount));
  friend bool operator==(refund_view const&, refund_view const&) = default;
};

struct payout_view {
  BOOST_HANA_DEFINE_STRUCT(payout_view, (std::string, payout_id), (std::string, account_id), (money, amount));
  friend bool operator==(payout_view const&, payout_view const&) = default;
};

}  // namespace payments::domain
