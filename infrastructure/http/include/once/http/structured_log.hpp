// Structured logs: one JSON object per line, with the time (UTC), the level,
// the logger's name, the event and its fields. No personal or payment data
// goes in: ids, codes, statuses and durations, never bodies or tokens.
//
//   {"time":"2026-11-23T15:04:05.123456Z","level":"info","logger":"http","event":"request",
//    "method":"POST","path":"/v1/payments","status":201,"duration_ms":2.41,
//    "intent":"tenant-a:payments.authorize_payment:k-1","outcome":"applied"}
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>
#include <spdlog/common.h>
#include <spdlog/fwd.h>

namespace once::http {

// A logger named `name` writing JSON lines to stdout (thread-safe; see
// line_sink.hpp: one write per line, no lock held while writing).
[[nodiscard]] std::shared_ptr<spdlog::logger> json_stdout_logger(std::string const& name);

// Turns any spdlog logger into a JSON-lines logger (sets its pattern).
void use_json_lines(spdlog::logger& logger);

// Logs `event` with the members of `fields` (a JSON object) beside it.
void log_event(spdlog::logger& logger, spdlog::level::level_enum level, std::string_view event,
               nlohmann::ordered_json const& fields);

}  // namespace once::http
