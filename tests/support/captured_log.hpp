// A JSON-lines logger that writes into memory, and its lines parsed back.
#pragma once

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>
#include <nlohmann/json.hpp>

#include <once/observability/structured_log.hpp>

namespace once_tests {

class captured_log {
 public:
  explicit captured_log(std::string const& name = "http")
      : logger_(std::make_shared<spdlog::logger>(name, std::make_shared<spdlog::sinks::ostream_sink_mt>(text_))) {
    once::observability::use_json_lines(*logger_);
  }

  [[nodiscard]] std::shared_ptr<spdlog::logger> logger() const { return logger_; }

  // Every line so far, each parsed as one JSON object.
  [[nodiscard]] std::vector<nlohmann::json> lines() {
    logger_->flush();  // takes the sink's lock: what was written so far is visible
    std::vector<nlohmann::json> parsed;
    std::istringstream text{text_.str()};
    for (std::string line; std::getline(text, line);) parsed.push_back(nlohmann::json::parse(line));
    return parsed;
  }

  [[nodiscard]] std::string text() {
    logger_->flush();
    return text_.str();
  }

 private:
  std::ostringstream text_;
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace once_tests
