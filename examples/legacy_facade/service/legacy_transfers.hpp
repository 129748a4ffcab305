// The legacy core's booking as the transfer's external step: the call books
// with the intent's reference, the look-up lists what the core holds under it.
#pragma once

#include <chrono>
#include <string_view>

#include <once/application/external_steps.hpp>

#include <legacy_facade/domain/transfer.hpp>

#include "legacy_client.hpp"

namespace legacy_facade::service {

class legacy_transfers final : public once::application::external_call<domain::create_transfer> {
 public:
  legacy_transfers(legacy_client client, std::chrono::milliseconds lookup_timeout)
      : client_(std::move(client)), lookup_timeout_(lookup_timeout) {}

  // 200: answered with the booking; 400: refused, nothing booked; anything
  // else (no answer, 5xx, an answer that does not read) may have booked: unknown.
  once::application::call_result<domain::booking> call(domain::create_transfer const& command,
                                                       std::string_view reference,
                                                       std::chrono::milliseconds timeout) override;
  once::application::lookup_result<domain::booking> look_up(domain::create_transfer const& command,
                                                            std::string_view reference) override;

 private:
  legacy_client client_;
  std::chrono::milliseconds lookup_timeout_;
};

}  // namespace legacy_facade::service
