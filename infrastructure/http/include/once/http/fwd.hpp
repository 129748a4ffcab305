/// \file
/// The HTTP adapter by name only, for headers that pass a router or tokens along.
#pragma once

namespace once::http {

struct request;
struct response;
class router;
struct server_options;
class server;
class bearer_tokens;

}  // namespace once::http
