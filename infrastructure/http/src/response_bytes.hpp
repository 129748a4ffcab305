// A response as the bytes of an HTTP/1.1 message, written with one send: the
// status line, the handler's headers, the framing the server owns
// (Content-Length, Connection: close), and the body. Beast's serializer
// walked a field set built header by header for every answer: about 10 us of
// CPU per request on the loopback benchmark (docs/performance.md).
#pragma once

#include <string>

#include <once/http/server.hpp>

namespace once::http {

struct wire_framing {
  bool keep_alive = true;  // false: "Connection: close", and the server closes after the answer
  bool head = false;       // an answer to HEAD: the headers a GET would get, no body
};

// Headers that could break the framing are not sent: a name that is not an
// HTTP token, a value with a control character other than tab (no CR/LF
// injection from a value built out of request data), and Content-Length,
// Transfer-Encoding or Connection given by the handler.
[[nodiscard]] std::string response_bytes(response const& answer, wire_framing framing);

}  // namespace once::http
