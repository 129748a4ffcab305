// A plain HTTP/1.1 client of the legacy core: one connection per call, the
// whole call (connect, send, answer) bounded by one deadline. It tells a call
// that never reached the core from one that was sent and got no answer,
// because only the second may have booked.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace legacy_facade::service {

struct legacy_answer {
  int status = 0;
  std::string body;
  std::string content_type;
};

enum class legacy_failure {
  not_sent,   // no connection: the core received nothing
  no_answer,  // sent (or perhaps sent), and no complete answer before the deadline or the connection's end
};

struct legacy_result {
  std::optional<legacy_answer> answer;
  legacy_failure failure = legacy_failure::not_sent;  // when there is no answer
};

class legacy_client {
 public:
  // `base_url` is http://HOST:PORT; nullopt when it is not.
  [[nodiscard]] static std::optional<legacy_client> for_url(std::string const& base_url);

  [[nodiscard]] legacy_result send(std::string const& method, std::string const& target,
                                   std::vector<std::pair<std::string, std::string>> const& headers,
                                   std::string const& body, std::chrono::milliseconds timeout) const;

 private:
  legacy_client(std::string host, std::string port) : host_(std::move(host)), port_(std::move(port)) {}
  std::string host_;
  std::string port_;
};

}  // namespace legacy_facade::service
