#include "legacy_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace legacy_facade::service {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

}  // namespace

std::optional<legacy_client> legacy_client::for_url(std::string const& base_url) {
  std::string const scheme = "http://";
  if (base_url.rfind(scheme, 0) != 0) return std::nullopt;
  auto authority = base_url.substr(scheme.size());
  if (!authority.empty() && authority.back() == '/') authority.pop_back();
  auto const colon = authority.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == authority.size()) return std::nullopt;
  if (authority.find('/') != std::string::npos) return std::nullopt;
  return legacy_client{authority.substr(0, colon), authority.substr(colon + 1)};
}

// Asynchronous operations under one deadline on a private io_context: the
// stream's expiry closes the socket when the deadline passes, whatever step
// the call is in.
legacy_result legacy_client::send(std::string const& method, std::string const& target,
                                  std::vector<std::pair<std::string, std::string>> const& headers,
                                  std::string const& body, std::chrono::milliseconds timeout) const {
  asio::io_context io;
  beast::tcp_stream stream{io};
  auto const deadline = std::chrono::steady_clock::now() + timeout;
  legacy_result result;
  beast::error_code failed;
  tcp::resolver resolver{io};
  auto const endpoints = resolver.resolve(host_, port_, failed);
  if (failed) return result;

  bhttp::request<bhttp::string_body> request{bhttp::string_to_verb(method), target, 11};
  request.set(bhttp::field::host, host_ + ':' + port_);
  for (auto const& [name, value] : headers) request.set(name, value);
  request.body() = body;
  request.prepare_payload();
  request.keep_alive(false);

  bool sent = false;
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> response;
  stream.expires_at(deadline);
  stream.async_connect(endpoints, [&](beast::error_code connect_error, tcp::endpoint const&) {
    if (connect_error) return;
    sent = true;  // from the first byte on, the core may have received the call
    stream.expires_at(deadline);
    bhttp::async_write(stream, request, [&](beast::error_code write_error, std::size_t) {
      if (write_error) return;
      stream.expires_at(deadline);
      bhttp::async_read(stream, buffer, response, [&](beast::error_code read_error, std::size_t) {
        if (read_error) return;
        legacy_answer answer;
        answer.status = static_cast<int>(response.result_int());
        answer.body = response.body();
        answer.content_type = std::string{response[bhttp::field::content_type]};
        result.answer = std::move(answer);
      });
    });
  });
  io.run();
  if (!result.answer) result.failure = sent ? legacy_failure::no_answer : legacy_failure::not_sent;
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return result;
}

}  // namespace legacy_facade::service
