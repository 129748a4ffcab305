#include <once/observability/structured_log.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <type_traits>
#include <variant>

#include <spdlog/logger.h>

#include <once/domain/canonical_json.hpp>
#include <once/domain/text.hpp>
#include "line_sink.hpp"

namespace once::observability {
namespace {

void append_number(std::string& out, std::int64_t value) {
  char digits[24];
  auto const end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

void append_number(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  char digits[32];
  auto const end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  // Runs of well-formed UTF-8 are escaped as canonical JSON escapes them; a
  // byte that starts no well-formed sequence becomes U+FFFD.
  std::size_t run_from = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (auto const length = domain::utf8_sequence_length(text.substr(i)); length > 0) {
      i += length;
      continue;
    }
    domain::detail::write_json_escaped(out, text.substr(run_from, i - run_from));
    out += "\\ufffd";
    run_from = ++i;
  }
  domain::detail::write_json_escaped(out, text.substr(run_from));
  out += '"';
}

std::shared_ptr<spdlog::logger> json_stdout_logger(std::string const& name) {
  // One sink for every such logger, so their lines share one order on stdout.
  static auto const standard_output = std::make_shared<line_sink>(fileno(stdout));
  auto logger = std::make_shared<spdlog::logger>(name, standard_output);
  use_json_lines(*logger);
  return logger;
}

void use_json_lines(spdlog::logger& logger) {
  // The message supplies the remaining members of the object (see log_event).
  logger.set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","logger":"%n",%v})",
                     spdlog::pattern_time_type::utc);
}

void log_event(spdlog::logger& logger, spdlog::level::level_enum level, std::string_view event,
               std::span<log_field const> fields) {
  if (!logger.should_log(level)) return;
  // "event":"...", then the fields: the pattern opened the object and closes it.
  std::string members = R"("event":)";
  members.reserve(256);
  append_json_string(members, event);
  for (auto const& field : fields) {
    members += ',';
    append_json_string(members, field.name);
    members += ':';
    std::visit(
        [&](auto const& value) {
          if constexpr (std::is_same_v<std::decay_t<decltype(value)>, std::string_view>) {
            append_json_string(members, value);
          } else {
            append_number(members, value);
          }
        },
        field.value);
  }
  logger.log(level, spdlog::string_view_t{members.data(), members.size()});
}

}  // namespace once::observability
