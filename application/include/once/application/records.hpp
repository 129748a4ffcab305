/// \file
/// The untyped records that cross the store port: what the command log, the
/// aggregate table and the outbox hold. JSON payloads are canonical JSON text.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <once/domain/envelope.hpp>
#include <once/domain/intent_id.hpp>

namespace once::application {

using time_point = std::chrono::system_clock::time_point;

/// Aggregates belong to a tenant: one tenant's "A-1" is not another's.
struct aggregate_ref {
  std::string type;  // the aggregate's type_name
  std::string id;
  std::string tenant;  // the same as the tenant of the intents that act on it

  friend bool operator==(aggregate_ref const&, aggregate_ref const&) = default;
  friend auto operator<=>(aggregate_ref const&, aggregate_ref const&) = default;
};

/// An entry of an aggregate's entities (once/domain/entities.hpp): a record of its own beside the root.
struct stored_entity {
  std::string collection;  // the state's member that holds it
  std::string id;
  std::string state;     // JSON of the entry; empty when removed
  bool removed = false;  // on a write: delete the entry
};

struct stored_aggregate {
  aggregate_ref ref;
  std::int64_t version = 0;  // 1 after the first applied command; 0 never stored
  std::string state;         // JSON of the aggregate's root (a store may normalise spacing and key order)
  /// Written with the root: the entries the command put, changed or removed. Never
  /// filled by a read; entries are read one at a time (claimed_intent::entity, command_store::read_entity).
  std::vector<stored_entity> entities;
};

enum class intent_status {
  applied,   // executed; stored_result holds the result
  rejected,  // refused by the domain; stored_result holds the rejection
  /// A command with an external step (once/application/external_steps.hpp):
  pending,  // claimed, its call may be under way; stored_result is what repeats are answered meanwhile
  unknown,  // called, the outcome not known yet; stored_result as for pending
};

/// The command log's row: the durable intent record.
struct intent_record {
  domain::intent_key intent;
  std::string command_type;
  std::string fingerprint;  // hex SHA-256 of the command's canonical business fields
  aggregate_ref target;
  std::int64_t aggregate_version = 0;  // the version the stored result describes
  intent_status status = intent_status::applied;
  std::string stored_result;  // canonical JSON of the result or of the rejection
  time_point created_at{};
  std::optional<time_point> expires_at;  // none: kept forever
};

/// Whether the record still answers repeats at `now` (after it expires the key is free again).
[[nodiscard]] inline bool live_at(intent_record const& record, time_point now) {
  return !record.expires_at.has_value() || *record.expires_at > now;
}

/// An attempt to become the one execution of an intent.
struct intent_claim {
  domain::intent_key intent;
  std::string command_type;
  std::string fingerprint;
  aggregate_ref target;
  time_point requested_at{};
  std::optional<time_point> expires_at;
  /// Hold the intent and the aggregate from claim to commit. Without it a store
  /// may claim optimistically and make commit the atomic step; the dispatcher
  /// asks for it after a conflict, so hot aggregates queue instead of retrying.
  bool serialise = false;
};

/// One event on its way out, written in the same transaction as the state.
struct outbox_message {
  std::string message_id;  // stable across relays: consumers deduplicate on it
  aggregate_ref source;
  std::int64_t aggregate_version = 0;
  std::string event_type;
  std::string topic;
  std::string key;      // partition key: the aggregate id, so one aggregate's events keep their order
  std::string payload;  // canonical JSON of the event
  std::vector<std::pair<std::string, std::string>> headers;  // intent id, tenant, correlation, trace context
  time_point created_at{};

  /// The value of the first header of that name, if there is one.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const {
    for (auto const& [header_name, value] : headers) {
      if (header_name == name) return value;
    }
    return std::nullopt;
  }
};

/// What the first transaction of a command with an external step writes beside its effects.
struct step_start {
  std::string reference;
  std::string command;  // canonical JSON of the command: recovery calls and concludes from it
  std::string holder;   // who may call until lease_until
  time_point lease_until{};
};

/// Everything one command changes, committed as one unit.
struct command_effects {
  std::optional<stored_aggregate> new_state;  // none for a rejection or a command with no events
  std::int64_t expected_version = 0;          // optimistic check: the version the decision was made on
  intent_record record;
  std::vector<outbox_message> outbox;
  std::optional<domain::message_receipt> inbox;  // the message it came from, recorded with it
  std::optional<step_start> step;                // for a command with an external step: record is pending
};

}  // namespace once::application
