// A service built on once::service as a real child process on 127.0.0.1, for
// black-box tests: started with `--listen HOST:PORT` before the given
// arguments, its port read from its "listening" log line, killed with SIGKILL
// and started again on the same port as a supervisor would.
#pragma once

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include <once/testing/child_process.hpp>

namespace once::testing {

class service_process {
 public:
  // `listen` is HOST:PORT; port 0 picks a free one (see port()).
  service_process(std::string const& program, std::vector<std::string> arguments, std::string listen = "127.0.0.1:0")
      : program_(program), arguments_(std::move(arguments)) {
    start(listen);
  }

  [[nodiscard]] unsigned short port() const noexcept { return port_; }

  void kill_hard() {
    process_->kill_hard();
    (void)process_->wait_for_exit();
  }
  // Starts it again on the same port, as a supervisor would after a crash.
  void restart() { start("127.0.0.1:" + std::to_string(port_)); }

  // Every JSON log line written so far.
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
    auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds{20};
    while (std::chrono::steady_clock::now() < deadline) {
      for (auto const& line : log_lines()) {
        if (line.value("event", "") != "listening") continue;
        auto const address = line.at("address").get<std::string>();
        port_ = static_cast<unsigned short>(std::stoi(address.substr(address.rfind(':') + 1)));
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds{20});  // polling the child's log file
    }
    throw std::runtime_error(program_ + " did not start listening");
  }

  std::string program_;
  std::vector<std::string> arguments_;
  std::unique_ptr<child_process> process_;
  unsigned short port_ = 0;
};

}  // namespace once::testing
