#include <once/http/structured_log.hpp>

#include <cstdio>

#include <nlohmann/json.hpp>
#include <spdlog/logger.h>

#include <once/http/line_sink.hpp>

namespace once::http {

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
               nlohmann::ordered_json const& fields) {
  if (!logger.should_log(level)) return;
  // "event":"...", then the fields' members: the pattern opened the object and closes it.
  auto text = R"("event":)" + nlohmann::ordered_json(event).dump();
  if (fields.is_object() && !fields.empty()) {
    auto const members = fields.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    text += ',';
    text.append(members, 1, members.size() - 2);  // without its braces
  }
  logger.log(level, spdlog::string_view_t{text.data(), text.size()});
}

}  // namespace once::http
