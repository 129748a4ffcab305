#include "line_sink.hpp"

#include <cerrno>
#include <string_view>

#include <spdlog/pattern_formatter.h>
#include <unistd.h>

namespace once::observability {

line_sink::line_sink(int fd) : fd_(fd), formatter_(std::make_unique<spdlog::pattern_formatter>()) {}

void line_sink::log(spdlog::details::log_msg const& message) {
  spdlog::memory_buf_t line;
  {
    std::lock_guard lock(formatting_);
    formatter_->format(message, line);
  }
  std::string_view rest{line.data(), line.size()};
  while (!rest.empty()) {
    auto const written = ::write(fd_, rest.data(), rest.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere to log that logging failed: drop the line, keep serving
    }
    rest.remove_prefix(static_cast<std::size_t>(written));
  }
}

void line_sink::set_pattern(std::string const& pattern) {
  set_formatter(std::make_unique<spdlog::pattern_formatter>(pattern));
}

void line_sink::set_formatter(std::unique_ptr<spdlog::formatter> formatter) {
  std::lock_guard lock(formatting_);
  formatter_ = std::move(formatter);
}

}  // namespace once::observability
