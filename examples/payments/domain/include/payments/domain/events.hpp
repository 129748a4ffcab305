// The events of the account aggregate, as they are stored in the outbox.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include <boost/hana/define_struct.hpp>

#include <payments/domain/money.hpp>

namespace payments::domain {

struct account_opened {
  static constexpr std::string_view type_name = "payments.account_opened";
  BOOST_HANA_DEFINE_STRUCT(account_opened, (std::string, account_id), (std::string, currency),
                           (std::int64_t, credit_limit));
};

struct payment_authorized {
  static constexpr std::string_view type_name = "payments.payment_authorized";
  BOOST_HANA_DEFINE_STRUCT(payment_authorized, (std::string, payment_id), (std::string, account_id), (money, amount),
                           (std::string, description));
};

struct payment_captured {
  static constexpr std::string_view type_name = "payments.payment_captured";
  BOOST_HANA_DEFINE_STRUCT(payment_captured, (std::string, payment_id), (money, amount));
};

struct payment_description_set {
  static constexpr std::string_view type_name = "payments.payment_description_set";
  BOOST_HANA_DEFINE_STRUCT(payment_description_set, (std::string, payment_id), (std::string, description));
};

struct payout_made {
  static constexpr std::string_view type_name = "payments.payout_made";
  BOOST_HANA_DEFINE_STRUCT(payout_made, (std::string, payout_id), (std::string, account_id), (money, amount));
};

struct payment_refunded {
  static constexpr std::string_view type_name = "payments.payment_refunded";
  BOOST_HANA_DEFINE_STRUCT(payment_refunded, (std::string, payment_id), (std::string, refund_id), (money, amount));
};

using account_event = std::variant<account_opened, payment_authorized, payment_captured, payment_description_set,
                                   payout_made, payment_refunded>;

}  // namespace payments::domain
