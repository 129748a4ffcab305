/// \file
/// A blocking HTTP/1.1 client over a real socket on 127.0.0.1, for tests.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace once::testing {

struct http_answer {
  int status = 0;
  std::string body;
  boost::beast::http::fields headers;
};

class http_client {
 public:
  explicit http_client(unsigned short port) : socket_(io_) {
    socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  }

  http_answer send(std::string const& method, std::string const& target, std::string body = {},
                   std::vector<std::pair<std::string, std::string>> const& headers = {}) {
    namespace http = boost::beast::http;
    http::request<http::string_body> request{http::string_to_verb(method), target, 11};
    request.set(http::field::host, "127.0.0.1");
    for (auto const& [name, value] : headers) request.set(name, value);
    request.body() = std::move(body);
    request.prepare_payload();
    http::write(socket_, request);
    return receive();
  }

  /// Raw bytes, for requests a well-behaved client would not send.
  void send_raw(std::string const& bytes) { boost::asio::write(socket_, boost::asio::buffer(bytes)); }
  /// Sends BYTES while the server reads them; false once it has closed the connection (its answer may be waiting).
  bool try_send_raw(std::string const& bytes) {
    boost::system::error_code failed;
    boost::asio::write(socket_, boost::asio::buffer(bytes), failed);
    return !failed;
  }

  http_answer receive() {
    namespace http = boost::beast::http;
    http::response_parser<http::string_body> parser;
    // Beast refuses bodies over 8 MiB by default; a test reads whatever the
    // service under test sends (the chaos ledger's list of a core's bookings grows past it).
    parser.body_limit(boost::none);
    http::read(socket_, buffer_, parser);
    auto response = parser.release();
    return {static_cast<int>(response.result_int()), std::move(response.body()), std::move(response.base())};
  }

  /// True when the server has closed the connection (a read sees end of stream).
  bool closed_by_server() {
    char byte;
    boost::system::error_code error;
    socket_.read_some(boost::asio::buffer(&byte, 1), error);
    return error == boost::asio::error::eof || error == boost::asio::error::connection_reset;
  }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

}  // namespace once::testing
