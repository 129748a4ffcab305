/// \file
/// Reconciliation: our intent records against the other system's listing for
/// a time window, matched by the reference the external step carried. Each of
/// our records and each of theirs ends in one kind:
///
///   matched         one record on each side, amount and account equal
///   mismatched      one on each side that differ, or more than one of theirs
///   missing_theirs  ours says it took effect, theirs holds nothing
///   missing_ours    theirs holds a record whose reference we never issued
///   unresolved      ours is still pending or unknown
///
/// Everything but `matched` goes to the exception queue, once per subject
/// (seen again: its last_seen moves). The window is half-open, [from, to);
/// each side is also read a margin beyond it, so that a record whose two
/// sides fall either side of a bound is matched rather than reported missing.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <once/application/error.hpp>
#include <once/application/external_steps.hpp>
#include <once/application/records.hpp>
#include <once/domain/intent_id.hpp>

namespace once::application {

struct reconciliation_window {
  time_point from{};
  time_point to{};
};

/// One side's view of one effect.
struct reconciled_record {
  std::string reference;
  std::int64_t amount = 0;
  std::string account;
  std::string id;                            // theirs: their record's id
  std::optional<domain::intent_key> intent;  // ours: the intent (and so the tenant)
  bool settled = true;                       // ours: false while the intent is pending or unknown
  time_point at{};                           // ours: when the intent was claimed; theirs: when they recorded it
};

/// The port: both listings for a window (each may hold records a margin beyond it).
class reconciler {
 public:
  virtual ~reconciler() = default;
  [[nodiscard]] virtual result<std::vector<reconciled_record>> ours(reconciliation_window const& window) = 0;
  [[nodiscard]] virtual result<std::vector<reconciled_record>> theirs(reconciliation_window const& window) = 0;
};

enum class reconciliation_kind : std::size_t { matched, mismatched, missing_theirs, missing_ours, unresolved };
inline constexpr std::size_t reconciliation_kinds = 5;
[[nodiscard]] std::string_view to_string(reconciliation_kind kind) noexcept;

struct reconciliation_report {
  std::array<std::int64_t, reconciliation_kinds> counts{};
  std::vector<exception_entry> exceptions;  // what the run put in the queue

  [[nodiscard]] std::int64_t count(reconciliation_kind kind) const { return counts[static_cast<std::size_t>(kind)]; }
};

/// Compares two listings (pure): the counts and the exceptions to queue.
[[nodiscard]] reconciliation_report compare(std::vector<reconciled_record> const& ours,
                                            std::vector<reconciled_record> const& theirs,
                                            reconciliation_window const& window);

/// Reads both sides `margin` beyond the window, compares them and queues the
/// exceptions; `progress` hears (done, total) as the exceptions are written.
using reconciliation_progress = std::function<void(std::size_t done, std::size_t total)>;
[[nodiscard]] result<reconciliation_report> reconcile(reconciler& sides, external_step_store& queue,
                                                      reconciliation_window const& window, std::chrono::seconds margin,
                                                      reconciliation_progress const& progress = {});

}  // namespace once::application
