#include <payments/domain/ids.hpp>

#include <algorithm>

namespace payments::domain {

bool is_valid_account_id(std::string_view id) noexcept {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::string payment_id_for(std::string_view account_id, std::int64_t number) {
  return std::string{account_id} + ".p" + std::to_string(number);
}

std::string payout_id_for(std::string_view account_id, std::int64_t number) {
  return std::string{account_id} + ".o" + std::to_string(number);
}

std::string account_of_payment(std::string_view payment_id) {
  auto const dot = payment_id.rfind(".p");
  return std::string{dot == std::string_view::npos ? payment_id : payment_id.substr(0, dot)};
}

}  // namespace payments::domain
