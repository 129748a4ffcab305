// A dispatcher for the test ledger over a fresh store (of the Factory's
// kind), with a manual clock and short waits, plus envelope helpers.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include <once/application/clock.hpp>
#include <once/application/command_dispatcher.hpp>
#include <once/domain/json_decode.hpp>

#include "support/ledger.hpp"
#include "support/recording_metrics.hpp"
#include "support/store_under_test.hpp"

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

// A clock near the real time, so that databases judging expiry by now() agree with it.
inline std::chrono::system_clock::time_point harness_start() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

template <class Factory = memory_store_factory>
class LedgerHarness : public ::testing::Test {
 protected:
  std::optional<ledger_state> ledger_state_of(std::string const& id, std::string tenant = "tenant-a") {
    auto stored = store().read({std::string{ledger::type_name}, id, std::move(tenant)});
    if (!stored.has_value() || !stored->has_value()) return std::nullopt;
    auto decoded = once::domain::decode_json<ledger_state>((*stored)->state);
    return decoded.has_value() ? std::optional{*decoded} : std::nullopt;
  }
  std::int64_t version_of(std::string const& id, std::string tenant = "tenant-a") {
    auto stored = store().read({std::string{ledger::type_name}, id, std::move(tenant)});
    return stored.has_value() && stored->has_value() ? (*stored)->version : 0;
  }
  once::application::command_store& store() { return under_test->store(); }

  once::application::manual_clock clock{harness_start()};
  Factory factory;
  std::unique_ptr<store_under_test> under_test = factory.make(clock);
  recording_metrics metrics;
  once::application::command_dispatcher<ledger> dispatcher{
      under_test->store(), {&clock, nullptr, &metrics}, short_waits()};
};

}  // namespace once_tests
