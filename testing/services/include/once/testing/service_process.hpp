/// \file
/// A service built on once::service as a real child process on 127.0.0.1, for
/// black-box tests: started with `--listen HOST:PORT` before the given
/// arguments, its port read from its "listening" log line, killed with SIGKILL
/// and started again on the same port as a supervisor would.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <once/testing/child_process.hpp>
#include <once/testing/eventually.hpp>

namespace once::testing {

/// The first JSON log line of `process` whose "event" is `event`, once it has
/// written one (within `within`); nullopt otherwise. Services, relays, consumers
/// and once-kafka-mock all say where they listen this way.
[[nodiscard]] inline std::optional<nlohmann::json> await_log_event(child_process const& process,
                                                                   std::string const& event,
                                                                   std::chrono::milliseconds within) {
  std::optional<nlohmann::json> found;
  (void)eventually(
      [&] {
        for (auto const& line : process.output_lines()) {
          auto parsed = nlohmann::json::parse(line, nullptr, false);
          if (!parsed.is_discarded() && parsed.value("event", "") == event) {
            found = std::move(parsed);
            return true;
          }
        }
        return false;
      },
      within);
  return found;
}

class service_process {
 public:
  /// `listen` is HOST:PORT; port 0 picks a free one (see port()).
  service_process(std::string const& program, std::vector<std::string> arguments, std::string listen = "127.0.0.1:0")
      : program_(program), arguments_(std::move(arguments)) {
    start(listen);
  }

  /// Safe to read from client threads while another restarts the service.
  [[nodiscard]] unsigned short port() const noexcept { return port_.load(); }

  void kill_hard() {
    process_->kill_hard();
    (void)process_->wait_for_exit();
  }
  /// Starts it again on the same port, as a supervisor would after a crash.
  void restart() { start("127.0.0.1:" + std::to_string(port_.load())); }

  /// Every JSON log line written so far.
  [[nodiscard]] std::vector<nlohmann::json> log_lines() const {
    std::vector<nlohmann::json> lines;
    for (auto const& line : process_->output_lines()) {
      auto parsed = nlohmann::json::parse(line, nullptr, false);
      if (!parsed.is_discarded()) lines.push_back(std::move(parsed));
    }
    return lines;
  }

 private:
  void start(std::string const& listen) {
    auto arguments = arguments_;
    arguments.insert(arguments.begin(), {"--listen", listen});
    process_ = std::make_unique<child_process>(program_, arguments);
    auto const listening = await_log_event(*process_, "listening", std::chrono::seconds{20});
    if (!listening) throw std::runtime_error(program_ + " did not start listening");
    auto const address = listening->at("address").get<std::string>();
    port_.store(static_cast<unsigned short>(std::stoi(address.substr(address.rfind(':') + 1))));
  }

  std::string program_;
  std::vector<std::string> arguments_;
  std::unique_ptr<child_process> process_;
  std::atomic<unsigned short> port_{0};
};

}  // namespace once::testing
