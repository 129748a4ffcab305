#include <once/http/operations_routes.hpp>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include <once/http/responses.hpp>

namespace once::http {
namespace {

// A readiness check on a thread of its own, so that a probe waits at most
// `bound` however long the check takes (connecting to a frozen database
// takes the connect timeout). Probes arriving while a check runs share its
// result. The thread is joined when the routes are destroyed, which happens
// before the store the check uses, if the service declares them in that order.
class bounded_check {
 public:
  bounded_check(std::function<bool()> check, std::chrono::milliseconds bound)
      : check_(std::move(check)), bound_(bound), thread_([this] { run(); }) {}
  bounded_check(bounded_check const&) = delete;
  bounded_check& operator=(bounded_check const&) = delete;
  ~bounded_check() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }

  // The result of the check running now, or of one started now; false if it takes longer than the bound.
  bool operator()() {
    std::unique_lock lock(mutex_);
    if (!running_) {
      running_ = true;
      changed_.notify_all();
    }
    auto const awaited = finished_ + 1;
    if (!changed_.wait_for(lock, bound_, [&] { return finished_ >= awaited; })) return false;
    return ready_;
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      changed_.wait(lock, [&] { return stopping_ || running_; });
      if (stopping_) return;
      lock.unlock();
      bool ready = false;
      try {
        ready = check_();
      } catch (...) {
      }
      lock.lock();
      ready_ = ready;
      running_ = false;
      ++finished_;
      changed_.notify_all();
    }
  }

  std::function<bool()> check_;
  std::chrono::milliseconds bound_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool running_ = false;  // a check was asked for and has not finished
  bool stopping_ = false;
  bool ready_ = false;
  std::uint64_t finished_ = 0;
  std::thread thread_;  // last: starts once the rest is set up
};

}  // namespace

void add_operations_routes(router& routes, operations probes) {
  routes.add("GET", "/healthz", [](request const&) { return json_response(200, R"({"status":"ok"})"); });
  std::shared_ptr<bounded_check> ready;
  if (probes.ready) ready = std::make_shared<bounded_check>(std::move(probes.ready), probes.ready_timeout);
  routes.add("GET", "/readyz", [ready](request const&) {
    if (!ready || (*ready)()) return json_response(200, R"({"status":"ready"})");
    auto unready = json_response(503, R"({"status":"store unreachable"})");
    unready.headers.emplace_back("Retry-After", "1");
    return unready;
  });
  if (probes.metrics_text) {
    routes.add("GET", "/metrics", [text = std::move(probes.metrics_text)](request const&) {
      return response{200, {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"}}, text(), {}};
    });
  }
}

}  // namespace once::http
