#include <once/http/structured_log.hpp>

#include <nlohmann/json.hpp>
#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace once::http {

std::shared_ptr<spdlog::logger> json_stdout_logger(std::string const& name) {
  auto logger = std::make_shared<spdlog::logger>(name, std::make_shared<spdlog::sinks::stdout_sink_mt>());
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
  nlohmann::ordered_json members = nlohmann::ordered_json::object();
  members["event"] = event;
  if (fields.is_object()) members.update(fields);
  auto text = members.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  // "{...}" without its braces: the pattern opened the object and closes it.
  std::string_view inner{text};
  inner.remove_prefix(1);
  inner.remove_suffix(1);
  logger.log(level, spdlog::string_view_t{inner.data(), inner.size()});
}

}  // namespace once::http
