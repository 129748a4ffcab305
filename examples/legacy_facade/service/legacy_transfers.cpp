#include "legacy_transfers.hpp"

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <once/domain/json_decode.hpp>

namespace legacy_facade::service {

using once::application::call_result;
using once::application::lookup_result;

call_result<domain::booking> legacy_transfers::call(domain::create_transfer const& command, std::string_view reference,
                                                    std::chrono::milliseconds timeout) {
  nlohmann::json const body{{"reference", reference},
                            {"from_account", command.from_account},
                            {"to_account", command.to_account},
                            {"amount_cents", command.amount.value}};
  auto const sent =
      client_.send("POST", "/legacy/transfers", {{"Content-Type", "application/json"}}, body.dump(), timeout);
  if (!sent.answer) {
    return call_result<domain::booking>::unknown(sent.failure == legacy_failure::not_sent
                                                     ? "the legacy core could not be reached"
                                                     : "no answer from the legacy core in time");
  }
  auto const status = sent.answer->status;
  if (status == 400) {
    // The core's own reason, which names no account or amount (its texts are fixed sentences).
    auto const refused = nlohmann::json::parse(sent.answer->body, nullptr, false);
    std::string reason = "the legacy core refused the transfer";
    if (refused.is_object() && refused.contains("error") && refused["error"].is_string()) {
      reason += ": " + refused["error"].get<std::string>();
    }
    return call_result<domain::booking>::refused(once::domain::reject("refused_by_core", reason));
  }
  if (status != 200) {
    return call_result<domain::booking>::unknown("the legacy core answered " + std::to_string(status));
  }
  auto booked = once::domain::decode_json<domain::booking>(sent.answer->body);
  if (!booked) return call_result<domain::booking>::unknown("the legacy core's answer does not read as a booking");
  return call_result<domain::booking>::answered(std::move(*booked));
}

lookup_result<domain::booking> legacy_transfers::look_up(domain::create_transfer const&, std::string_view reference) {
  // References are RFC 3986 unreserved characters: nothing to escape in the query.
  auto const sent =
      client_.send("GET", "/legacy/transfers?reference=" + std::string{reference}, {}, "", lookup_timeout_);
  if (!sent.answer) return lookup_result<domain::booking>::not_asked("no answer from the legacy core");
  if (sent.answer->status != 200) {
    return lookup_result<domain::booking>::not_asked("the legacy core answered " + std::to_string(sent.answer->status));
  }
  auto found = once::domain::decode_json<std::vector<domain::booking>>(sent.answer->body);
  if (!found) return lookup_result<domain::booking>::not_asked("the legacy core's listing does not read");
  return lookup_result<domain::booking>::holds(std::move(*found));
}

}  // namespace legacy_facade::service
