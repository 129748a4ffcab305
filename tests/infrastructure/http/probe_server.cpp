// A server with one route, GET /healthz, for tests that need it in a process
// of its own (with a descriptor limit, say). Prints "port N" once it listens
// and serves until killed.
//   once_http_probe_server [MAX_CONNECTIONS]   (0 or none: sized to the descriptor limit)
#include <unistd.h>

#include <cstdio>
#include <string>

#include <once/http/server.hpp>

int main(int argc, char** argv) {
  once::http::router routes;
  routes.add("GET", "/healthz", [](once::http::request const&) { return once::http::response{200, {}, "ok"}; });
  once::http::server_options options;
  options.port = 0;
  options.max_connections = argc > 1 ? std::stoul(argv[1]) : 0;
  once::http::server server{options, std::move(routes)};
  if (auto started = server.start(); !started) {
    std::fprintf(stderr, "probe server: %s\n", started.error().message.c_str());
    return 1;
  }
  std::printf("port %u\nmax_connections %zu\n", static_cast<unsigned>(server.port()), server.max_connections());
  std::fflush(stdout);
  for (;;) pause();
}
