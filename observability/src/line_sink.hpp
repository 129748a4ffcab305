// A spdlog sink that writes each line with one write(2) of its own, holding
// no lock while it writes: the formatter (which caches the time) is the only
// shared part. Whole lines never interleave (a write to a pipe of up to 4 KiB,
// or to a file, is not split), and a line is out before the call returns, so
// a request's log line precedes its answer. spdlog's stdout sink instead
// takes one process-wide lock around fwrite and fflush on every line, which
// threads serving requests queue on.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include <spdlog/formatter.h>
#include <spdlog/sinks/sink.h>

namespace once::observability {

class line_sink final : public spdlog::sinks::sink {
 public:
  explicit line_sink(int fd);

  void log(spdlog::details::log_msg const& message) override;
  void flush() override {}  // nothing is buffered
  void set_pattern(std::string const& pattern) override;
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override;

 private:
  int fd_;
  std::mutex formatting_;
  std::unique_ptr<spdlog::formatter> formatter_;
};

}  // namespace once::observability
