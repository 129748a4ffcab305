#include "handler_fibers.hpp"

#include <memory>
#include <new>
#include <utility>

#include <sys/mman.h>
#include <unistd.h>

#include <boost/asio/error.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace once::http::detail {

namespace asio = boost::asio;
using application::wait_clock;

namespace {

std::size_t page_bytes() {
  static std::size_t const bytes = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return bytes;
}

// A wake-up for a handler: notify() posts to the handler's thread, so the
// flag and the timer are touched on that thread only.
class handler_signal final : public application::wake_signal, public std::enable_shared_from_this<handler_signal> {
 public:
  handler_signal(asio::io_context& io, handler_waiting& waiter) : timer_(io), waiter_(&waiter) {}

  void notify() override {
    asio::post(timer_.get_executor(), [self = shared_from_this()] {
      self->notified_ = true;
      self->timer_.cancel();
    });
  }

  bool wait_until(wait_clock::time_point deadline) override {
    if (notified_) return true;
    timer_.expires_at(deadline);
    waiter_->suspended([&](asio::yield_context& yield) {
      boost::system::error_code ignored;
      timer_.async_wait(yield[ignored]);
    });
    return notified_;
  }

 private:
  asio::steady_timer timer_;
  handler_waiting* waiter_;
  bool notified_ = false;
};

// A descriptor watched for one wait, and the timer that ends the wait at its
// deadline: shared with the timer's handler, which may run after the wait.
struct bounded_watch {
  bounded_watch(asio::io_context& io, int descriptor) : watched(io, descriptor), limit(io) {}
  ~bounded_watch() {
    (void)watched.release();  // the descriptor belongs to the caller: never closed here
  }
  asio::posix::stream_descriptor watched;
  asio::steady_timer limit;
  bool ended = false;
};

}  // namespace

stack_pool::stack_pool(std::size_t stack_bytes)
    : usable_bytes_((stack_bytes + page_bytes() - 1) / page_bytes() * page_bytes()),
      mapped_bytes_(usable_bytes_ + page_bytes()) {}

stack_pool::~stack_pool() {
  for (void* each : free_) ::munmap(each, mapped_bytes_);
}

boost::context::stack_context stack_pool::allocate() {
  void* start = nullptr;
  if (!free_.empty()) {
    start = free_.back();
    free_.pop_back();
  } else {
    start = ::mmap(nullptr, mapped_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (start == MAP_FAILED) throw std::bad_alloc{};
    if (::mprotect(start, page_bytes(), PROT_NONE) != 0) {
      ::munmap(start, mapped_bytes_);
      throw std::bad_alloc{};
    }
  }
  boost::context::stack_context stack;
  stack.size = usable_bytes_;
  stack.sp = static_cast<char*>(start) + mapped_bytes_;  // stacks grow down from the top
  return stack;
}

void stack_pool::deallocate(boost::context::stack_context& stack) noexcept {
  void* start = static_cast<char*>(stack.sp) - mapped_bytes_;
  try {
    free_.push_back(start);
  } catch (...) {
    ::munmap(start, mapped_bytes_);
  }
}

handler_waiting::handler_waiting(asio::io_context& io, asio::yield_context yield) : io_(io), yield_(std::move(yield)) {
  installed_.emplace(*this);
}

handler_waiting::~handler_waiting() = default;

bool handler_waiting::until_ready(int descriptor, readiness wanted, wait_clock::time_point deadline) {
  auto watch = std::make_shared<bounded_watch>(io_, descriptor);
  if (deadline != wait_clock::time_point::max()) {
    watch->limit.expires_at(deadline);
    watch->limit.async_wait([watch](boost::system::error_code const& error) {
      if (!error && !watch->ended) watch->watched.cancel();
    });
  }
  boost::system::error_code error;
  suspended([&](asio::yield_context& yield) {
    watch->watched.async_wait(wanted == readiness::readable ? asio::posix::descriptor_base::wait_read
                                                            : asio::posix::descriptor_base::wait_write,
                              yield[error]);
  });
  watch->ended = true;
  watch->limit.cancel();
  return error != asio::error::operation_aborted;
}

void handler_waiting::sleep_until(wait_clock::time_point deadline) {
  asio::steady_timer timer{io_, deadline};
  suspended([&](asio::yield_context& yield) {
    boost::system::error_code ignored;
    timer.async_wait(yield[ignored]);
  });
}

std::shared_ptr<application::wake_signal> handler_waiting::new_signal() {
  return std::make_shared<handler_signal>(io_, *this);
}

}  // namespace once::http::detail
