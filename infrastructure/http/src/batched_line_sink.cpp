#include <once/http/batched_line_sink.hpp>

#include <cerrno>

#include <unistd.h>

namespace once::http {

batched_line_sink::batched_line_sink(int fd, std::chrono::milliseconds gather, std::size_t max_pending)
    : fd_(fd), gather_(gather), max_pending_(max_pending) {
  writer_ = std::thread([this] { run_writer(); });
}

batched_line_sink::~batched_line_sink() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  writer_.join();  // the writer writes what is left before it ends
}

void batched_line_sink::sink_it_(spdlog::details::log_msg const& message) {
  spdlog::memory_buf_t line;
  formatter_->format(message, line);
  bool const was_empty = pending_.empty();
  pending_.append(line.data(), line.size());
  if (pending_.size() > max_pending_) {
    write_pending_now();  // the writer is behind: wait for the output like an unbuffered sink
  } else if (was_empty) {
    wake_.notify_one();
  }
}

void batched_line_sink::flush_() { write_pending_now(); }

void batched_line_sink::write_pending_now() {
  std::lock_guard out(output_);  // after the batch the writer may be writing: lines stay in order
  write_all(pending_);
  pending_.clear();
}

void batched_line_sink::run_writer() {
  std::string batch;
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
    // Let the lines of the next few milliseconds join this write.
    wake_.wait_for(lock, gather_, [&] { return stopping_; });
    if (pending_.empty()) {
      if (stopping_) return;
      continue;  // a flush took them
    }
    batch.swap(pending_);
    std::unique_lock out(output_);  // taken before mutex_ is let go, so a flush waits for this batch
    lock.unlock();
    write_all(batch);
    batch.clear();
    out.unlock();
    lock.lock();
  }
}

void batched_line_sink::write_all(std::string_view lines) const {
  while (!lines.empty()) {
    auto const written = ::write(fd_, lines.data(), lines.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere to log that logging failed: drop the batch, keep serving
    }
    lines.remove_prefix(static_cast<std::size_t>(written));
  }
}

}  // namespace once::http
