// The commands of the payments domain: business fields only. Tenant, keys and
// trace ids travel in the envelope.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/hana/define_struct.hpp>

#include <payments/domain/money.hpp>

namespace payments::domain {

struct open_account {
  static constexpr std::string_view type_name = "payments.open_account";
  BOOST_HANA_DEFINE_STRUCT(open_account, (std::string, account_id), (std::string, currency),
                           (std::int64_t, credit_limit));  // minor units of `currency`
};

struct authorize_payment {
  static constexpr std::string_view type_name = "payments.authorize_payment";
  BOOST_HANA_DEFINE_STRUCT(authorize_payment, (std::string, account_id), (money, amount), (std::string, description));
};

struct capture_payment {
  static constexpr std::string_view type_name = "payments.capture_payment";
  BOOST_HANA_DEFINE_STRUCT(capture_payment, (std::string, payment_id), (money, amount));
};

// A refund of captured money, named by its own refund id within the payment.
struct refund_payment {
  static constexpr std::string_view type_name = "payments.refund_payment";
  BOOST_HANA_DEFINE_STRUCT(refund_payment, (std::string, payment_id), (std::string, refund_id), (money, amount));
};

struct set_payment_description {
  static constexpr std::string_view type_name = "payments.set_payment_description";
  BOOST_HANA_DEFINE_STRUCT(set_payment_description, (std::string, payment_id), (std::string, description));
};

struct pay_out {
  static constexpr std::string_view type_name = "payments.pay_out";
  BOOST_HANA_DEFINE_STRUCT(pay_out, (std::string, account_id), (money, amount));
};

}  // namespace payments::domain
