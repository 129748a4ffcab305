#include "response_bytes.hpp"

#include <algorithm>
#include <charconv>
#include <string_view>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/status.hpp>

namespace once::http {
namespace {

bool is_token_char(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return std::string_view{"!#$%&'*+-.^_`|~"}.find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_token(std::string_view name) {
  return !name.empty() &&
         std::all_of(name.begin(), name.end(), [](char c) { return is_token_char(static_cast<unsigned char>(c)); });
}

bool may_send(std::string_view name, std::string_view value) {
  if (!is_token(name)) return false;
  for (std::string_view framing : {"content-length", "transfer-encoding", "connection"}) {
    if (boost::beast::iequals(name, framing)) return false;
  }
  return std::none_of(value.begin(), value.end(), [](char c) {
    auto const byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && byte != '\t') || byte == 0x7F;
  });
}

void append_number(std::string& out, std::size_t value) {
  char digits[24];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, value).ptr);
}

// 1xx, 204 and 304 answers carry no body and no Content-Length (RFC 9110 8.6).
bool has_no_content(int status) {
  return status < 200 || status == 204 || status == 304;
}

}  // namespace

std::string response_bytes(response const& answer, wire_framing framing) {
  bool const bodiless = has_no_content(answer.status);
  std::string out;
  out.reserve(128 + 32 * answer.headers.size() + (framing.head || bodiless ? 0 : answer.body.size()));
  out += "HTTP/1.1 ";
  append_number(out, static_cast<std::size_t>(answer.status));
  out += ' ';
  out += boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(answer.status));
  out += "\r\n";
  for (auto const& [name, value] : answer.headers) {
    if (!may_send(name, value)) continue;
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (!bodiless) {
    out += "Content-Length: ";
    append_number(out, answer.body.size());
    out += "\r\n";
  }
  if (!framing.keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  if (!framing.head && !bodiless) out += answer.body;
  return out;
}

}  // namespace once::http
