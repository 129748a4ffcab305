/// \file
/// Structured logs: one JSON object per line, with the time (UTC), the level,
/// the logger's name, the event and its fields. No personal or payment data
/// goes in: ids, codes, statuses and durations, never bodies or tokens.
///
///   {"time":"2026-11-23T15:04:05.123456Z","level":"info","logger":"http","event":"request",
///    "method":"POST","path":"/v1/payments","status":201,"duration_ms":2.41,
///    "intent":"tenant-a:payments.authorize_payment:k-1","outcome":"applied"}
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include <spdlog/common.h>
#include <spdlog/fwd.h>

namespace once::observability {

/// One member of a log line. Strings that are not valid UTF-8 are logged with
/// U+FFFD in place of the bad bytes, so every line stays valid JSON.
struct log_field {
  std::string_view name;
  std::variant<std::string_view, std::int64_t, double> value;
};

/// A logger named `name` writing JSON lines to stdout (thread-safe; see
/// line_sink.hpp: one write per line, no lock held while writing).
[[nodiscard]] std::shared_ptr<spdlog::logger> json_stdout_logger(std::string const& name);

/// Turns any spdlog logger into a JSON-lines logger (sets its pattern).
void use_json_lines(spdlog::logger& logger);

/// Logs `event` with `fields` beside it, in their order.
void log_event(spdlog::logger& logger, spdlog::level::level_enum level, std::string_view event,
               std::span<log_field const> fields);
inline void log_event(spdlog::logger& logger, spdlog::level::level_enum level, std::string_view event,
                      std::initializer_list<log_field> fields) {
  log_event(logger, level, event, std::span<log_field const>{fields.begin(), fields.size()});
}

/// `text` as a JSON string (quoted and escaped, invalid UTF-8 replaced), appended to `out`.
void append_json_string(std::string& out, std::string_view text);

}  // namespace once::observability
