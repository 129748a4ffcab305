/// \file
/// External steps: a command whose effect is a call to a system outside our
/// database (once/domain/external.hpp declares one). The dispatcher runs it in
/// three moves, never holding a transaction across the call:
///
///   1. claim the intent and commit it `pending`: decide's events and result,
///      and a step row with the reference, a lease and its holder;
///   2. call, outside any transaction, only while the lease holds;
///   3. conclude in a second transaction: conclude's events and result, the
///      intent `applied` (or `unknown` when the outcome is not known).
///
/// Repeats of a pending or unknown intent are answered from its record and
/// never call. A process that dies between 1 and 3 leaves a step whose lease
/// expires; the recovery worker (once/application/recovery_worker.hpp) takes
/// it over and asks the other system by reference before anything else.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <once/application/error.hpp>
#include <once/application/records.hpp>
#include <once/domain/decision.hpp>
#include <once/domain/intent_id.hpp>

namespace once::application {

/// The reference an intent's external call carries: "once-" and 43 characters
/// of base64url of SHA-256 over the intent id. Stable for the intent, at most
/// 64 characters of RFC 3986's unreserved set, different between tenants and
/// scopes for the same key — so a system that deduplicates by reference
/// deduplicates our calls, and one tenant's key never names another's call.
[[nodiscard]] std::string external_reference(domain::intent_key const& intent);

/// The id of an aggregate declared .target(named_by_intent): 22 characters of
/// base64url of SHA-256 over the intent id (132 bits), another digest than the
/// reference's, so neither can be computed from the other.
[[nodiscard]] std::string named_aggregate_id(domain::intent_key const& intent);

/// What a call answered. `refused` is for a refusal that booked nothing (a 4xx);
/// anything that may have booked without an answer is `unknown`.
template <class Answer>
struct call_result {
  enum class kind { answered, refused, unknown };
  kind what = kind::unknown;
  std::optional<Answer> answer;
  domain::rejection refusal;
  std::string reason;  // for unknown: what was seen (no personal or payment data)

  [[nodiscard]] static call_result answered(Answer value) { return {kind::answered, std::move(value), {}, {}}; }
  [[nodiscard]] static call_result refused(domain::rejection why) {
    return {kind::refused, std::nullopt, std::move(why), {}};
  }
  [[nodiscard]] static call_result unknown(std::string reason) {
    return {kind::unknown, std::nullopt, {}, std::move(reason)};
  }
};

/// What the other system holds for a reference; `asked` is false when it could not be asked.
template <class Answer>
struct lookup_result {
  bool asked = false;
  std::vector<Answer> found;  // asked and empty: it provably holds nothing
  std::string reason;         // when not asked

  [[nodiscard]] static lookup_result holds(std::vector<Answer> answers) { return {true, std::move(answers), {}}; }
  [[nodiscard]] static lookup_result not_asked(std::string reason) { return {false, {}, std::move(reason)}; }
};

/// The port to the other system for one command type, implemented by the
/// adapter (an HTTP client of the legacy core, a provider's SDK).
template <class Command>
class external_call {
 public:
  using answer_type = typename Command::external_answer;
  virtual ~external_call() = default;
  /// Performs the command's effect, carrying `reference`, within `timeout` in all.
  [[nodiscard]] virtual call_result<answer_type> call(Command const& command, std::string_view reference,
                                                      std::chrono::milliseconds timeout) = 0;
  /// What the other system holds under `reference`; must answer promptly.
  [[nodiscard]] virtual lookup_result<answer_type> look_up(Command const& command, std::string_view reference) = 0;
};

enum class step_status {
  pending,       // claimed; the call may be under way
  unknown,       // called; the outcome is not known
  concluded,     // the outcome is recorded
  needs_review,  // the other side holds more than one record: an operator decides
};

[[nodiscard]] std::string_view to_string(step_status status) noexcept;

/// A step as the recovery worker sees it.
struct step_record {
  domain::intent_key intent;
  std::string command_type;
  aggregate_ref target;
  std::string reference;
  std::string command;
  std::string fingerprint;
  step_status status = step_status::pending;
  std::int64_t attempt = 1;  // grows with each take-over; only the holder of the current attempt may write
  time_point lease_until{};
  /// The latest moment the last call can have been sent (its holder's lease
  /// end): the other side's grace counts from here.
  time_point last_sent_by{};
  int calls = 0;
  time_point created_at{};
};

/// An entry of the exception queue: something an operator has to look at.
struct exception_entry {
  std::string tenant;
  std::string reason;    // a stable code: "double_booking", "unresolved", "mismatch", ...
  std::string evidence;  // JSON object: what was found (ids, references, numbers; no personal data)
  std::optional<domain::intent_key> intent;
  std::string reference;
};

/// An exception as the queue holds it.
struct queued_exception {
  std::int64_t id = 0;
  std::string tenant;
  std::string reason;
  std::string subject;   // the reference, or the other side's record
  std::string evidence;  // JSON object
  std::optional<domain::intent_key> intent;
  std::string status;  // open | resolved
  std::string note;    // the operator's, once resolved
  time_point first_seen{};
  time_point last_seen{};
};

/// What the metrics show of the steps and the queue.
struct step_summary {
  std::int64_t pending = 0;
  std::int64_t unknown = 0;
  std::int64_t open_exceptions = 0;
  double oldest_open_exception_seconds = 0;
};

/// The second transaction: the outcome's effects, if the step is still the
/// caller's (status pending or unknown, the same attempt).
struct step_conclusion {
  std::int64_t attempt = 1;
  step_status status = step_status::concluded;  // unknown keeps it for recovery
  command_effects effects;                      // effects.record replaces the pending record
  std::optional<exception_entry> exception;
  time_point next_check_at{};  // for unknown: when recovery looks again
};

class external_step_store {
 public:
  virtual ~external_step_store() = default;
  /// Writes the conclusion; false (and nothing written) when the step is no
  /// longer this attempt's or already concluded. aborted when the aggregate moved.
  [[nodiscard]] virtual result<bool> conclude(step_conclusion const& conclusion) = 0;
  /// Takes up to `limit` steps that are due at `now` (pending or unknown, next
  /// check passed): each gets the next attempt, `holder` and a lease to `now + lease`.
  [[nodiscard]] virtual result<std::vector<step_record>> take_over(std::string const& holder, time_point now,
                                                                   std::chrono::milliseconds lease,
                                                                   std::size_t limit) = 0;
  /// Before calling again: the step is still this attempt's; its lease now ends
  /// at lease_until and a call may be sent until then. False when it is not.
  [[nodiscard]] virtual result<bool> prepare_call(domain::intent_key const& intent, std::int64_t attempt,
                                                  time_point lease_until) = 0;
  /// Gives the step back untouched until next_check_at (the other side could not
  /// be asked, or its grace has not passed).
  [[nodiscard]] virtual result<void> defer(domain::intent_key const& intent, std::int64_t attempt,
                                           time_point next_check_at) = 0;
  [[nodiscard]] virtual result<std::optional<step_record>> find_step(domain::intent_key const& intent) = 0;
  /// The exception queue, oldest first: one tenant's (or every tenant's when none is named).
  [[nodiscard]] virtual result<std::vector<queued_exception>> exceptions(std::optional<std::string> const& tenant,
                                                                         bool open_only) = 0;
  /// Resolves entry `id` with the operator's note, if it belongs to `tenant` (any tenant when none is
  /// named); none when there is no such entry. Resolving a resolved entry keeps its first note.
  [[nodiscard]] virtual result<std::optional<queued_exception>> resolve_exception(
      std::int64_t id, std::optional<std::string> const& tenant, std::string const& note) = 0;
  /// Records an exception found outside a step (reconciliation); a second time updates last_seen.
  [[nodiscard]] virtual result<void> record_exception(exception_entry const& entry) = 0;
  [[nodiscard]] virtual result<step_summary> summarize() = 0;
  /// Leadership of the recovery worker: true when `holder` holds lease `name` for `ttl` now.
  [[nodiscard]] virtual result<bool> lead(std::string const& name, std::string const& holder,
                                          std::chrono::milliseconds ttl) = 0;
};

}  // namespace once::application
