// legacy-facade-service's wiring: transfers booked once on the legacy core,
// their recovery, the exception queue, and everything else forwarded to the
// core unchanged.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <once/service/fwd.hpp>

namespace CLI {
class App;
}

namespace legacy_facade::service {

// The reconciliation job the service registers: `once-admin reconcile --job legacy-transfers`.
inline constexpr std::string_view reconciliation_job_name = "legacy-transfers";

struct facade_options {
  std::string legacy_url;           // --legacy-url http://HOST:PORT
  int legacy_timeout_ms = 2000;     // --legacy-timeout-ms: bounds a whole call to the core
  int grace_ms = 5000;              // --grace-ms: how late after a call the core may still book it
  std::optional<int> lease_ms;      // --lease-ms: 2 x the legacy timeout + 1000 when not given
  int recovery_interval_ms = 1000;  // --recovery-interval-ms
  std::string mode = "enforce";     // --mode observe|enforce
  std::string operator_token;       // --operator-token: sees and resolves every tenant's exceptions

  [[nodiscard]] std::chrono::milliseconds lease() const {
    return std::chrono::milliseconds{lease_ms.value_or(2 * legacy_timeout_ms + 1000)};
  }
};

void add_facade_options(CLI::App& app, facade_options& into);
// A sentence when the options cannot work together; nullopt when they can.
[[nodiscard]] std::optional<std::string> check(facade_options const& options);

void add_routes(once::service::host& host, facade_options const& options);

}  // namespace legacy_facade::service
