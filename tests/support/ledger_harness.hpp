// A dispatcher for the test ledger over a fresh memory store, with a manual
// clock and short waits, plus envelope helpers.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include <once/application/clock.hpp>
#include <once/application/command_dispatcher.hpp>
#include <once/domain/json_decode.hpp>
#include <once/memory/memory_command_store.hpp>

#include "support/ledger.hpp"
#include "support/recording_metrics.hpp"

namespace once_tests {

inline once::domain::envelope envelope_with(std::optional<std::string> key, std::string tenant = "tenant-a") {
  once::domain::envelope env;
  env.tenant = std::move(tenant);
  env.principal = "client-1";
  env.client_key = std::move(key);
  env.correlation_id = "corr-1";
  return env;
}

inline once::application::dispatcher_options short_waits() {
  once::application::dispatcher_options options;
  options.waits.in_flight = std::chrono::milliseconds{50};
  options.waits.aggregate = std::chrono::milliseconds{2000};
  return options;
}

class LedgerHarness : public ::testing::Test {
 protected:
  std::optional<ledger_state> ledger_state_of(std::string const& id) {
    auto stored = store.read({std::string{ledger::type_name}, id});
    if (!stored.has_value() || !stored->has_value()) return std::nullopt;
    auto decoded = once::domain::decode_json<ledger_state>((*stored)->state);
    return decoded.has_value() ? std::optional{*decoded} : std::nullopt;
  }
  std::int64_t version_of(std::string const& id) {
    auto stored = store.read({std::string{ledger::type_name}, id});
    return stored.has_value() && stored->has_value() ? (*stored)->version : 0;
  }

  once::application::manual_clock clock;
  once::memory::memory_command_store store{clock};
  recording_metrics metrics;
  once::application::command_dispatcher<ledger> dispatcher{store, {&clock, nullptr, &metrics}, short_waits()};
};

}  // namespace once_tests
