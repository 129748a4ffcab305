// A spdlog sink that hands finished lines to a writer thread, which writes
// them to a file descriptor in batches: one write(2) for the lines logged
// within `gather` of each other, instead of a write and a contended lock per
// line on every request. Lines keep their order. flush() (and a logger's
// flush_on level) writes everything logged so far before it returns. When the
// writer falls behind by more than `max_pending` bytes (a reader that does
// not read), loggers write themselves and wait, as with an unbuffered sink.
// A process killed with SIGKILL loses at most the lines of the last `gather`.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include <spdlog/sinks/base_sink.h>

namespace once::http {

class batched_line_sink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit batched_line_sink(int fd, std::chrono::milliseconds gather = std::chrono::milliseconds{10},
                             std::size_t max_pending = std::size_t{1} << 20);
  ~batched_line_sink() override;
  batched_line_sink(batched_line_sink const&) = delete;
  batched_line_sink& operator=(batched_line_sink const&) = delete;

 protected:
  void sink_it_(spdlog::details::log_msg const& message) override;
  void flush_() override;

 private:
  void run_writer();
  // Called with mutex_ held: writes out what is pending, after any batch in flight.
  void write_pending_now();
  void write_all(std::string_view lines) const;

  int fd_;
  std::chrono::milliseconds gather_;
  std::size_t max_pending_;
  std::string pending_;          // guarded by mutex_ (base_sink's)
  std::mutex output_;            // held while a batch is written; taken after mutex_, never before
  std::condition_variable wake_;  // the writer waits on it with mutex_
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace once::http
