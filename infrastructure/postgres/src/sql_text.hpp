// Building the few statements the store sends: literals quoted by libpq,
// timestamps in ISO 8601 UTC, and the outbox rows as one JSON array.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <pqxx/connection_base>

#include <once/application/records.hpp>

namespace once::postgres::detail {

// 'YYYY-MM-DD HH:MM:SS.ffffffZ', truncated to the microseconds PostgreSQL keeps.
[[nodiscard]] std::string iso_utc(application::time_point time);
[[nodiscard]] application::time_point from_epoch_us(std::int64_t microseconds);

// A quoted SQL literal of the text (quotes and backslashes escaped by libpq).
[[nodiscard]] inline std::string literal(pqxx::connection_base& connection, std::string const& text) {
  return connection.quote(text);
}

// The outbox messages as a JSON array for once_commit's p_outbox (payloads are embedded as JSON).
[[nodiscard]] std::string outbox_json(std::vector<application::outbox_message> const& messages);

// The entries of a write as a JSON array for once_write_entities' p_entities (states embedded as JSON,
// null for a removed entry).
[[nodiscard]] std::string entities_json(std::vector<application::stored_entity> const& entities);

// Either part of the entries as a JSON array for once_commit_decided: those
// written ({"collection", "id", "state"}) or those removed ({"collection",
// "id"}); empty when the write has none of that part.
enum class entry_part { written, removed };
[[nodiscard]] std::string entries_json(std::vector<application::stored_entity> const& entities, entry_part part);

}  // namespace once::postgres::detail
