// Request latency as the loopback interface sees it: from a request's first
// bytes to the first bytes of its answer, per client connection to one
// server port. Beside the load generator's latency (which also counts the
// time the client takes to read the answer) and the server's own (request
// read to answer ready), it tells on which side a tail is.
//
//   once_wire_latency --port 8080 --seconds 10 [--over-ms 20]
//
// Prints one line: requests, p50, p90, p99 and max in ms, and how many took
// longer than --over-ms. Needs CAP_NET_RAW (a packet socket), so root.
// HTTP/1.1 without pipelining: one request in flight per connection; a
// request whose connection ends before its answer is not counted.
#include <CLI/CLI.hpp>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <unordered_map>
#include <vector>

namespace {

struct captured_segment {
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  bool carries_payload = false;
  bool ends_connection = false;  // FIN or RST
  double seconds = 0;            // the kernel's receive timestamp
};

// A TCP segment of an IPv4 packet, or nothing for anything else.
bool parse_segment(unsigned char const* packet, std::size_t length, captured_segment& segment) {
  if (length < sizeof(iphdr)) return false;
  iphdr ip{};
  std::memcpy(&ip, packet, sizeof ip);
  auto const ip_header = static_cast<std::size_t>(ip.ihl) * 4;
  if (ip.version != 4 || ip.protocol != IPPROTO_TCP || length < ip_header + sizeof(tcphdr)) return false;
  tcphdr tcp{};
  std::memcpy(&tcp, packet + ip_header, sizeof tcp);
  auto const tcp_header = static_cast<std::size_t>(tcp.doff) * 4;
  segment.source_port = ntohs(tcp.source);
  segment.destination_port = ntohs(tcp.dest);
  segment.carries_payload = ntohs(ip.tot_len) > ip_header + tcp_header;
  segment.ends_connection = tcp.fin != 0 || tcp.rst != 0;
  return true;
}

// The kernel's receive timestamp of a packet read with recvmsg (SO_TIMESTAMPNS), or 0 without one.
double received_seconds(msghdr& message) {
  for (auto* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SO_TIMESTAMPNS) continue;
    timespec stamp{};
    std::memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
    return static_cast<double>(stamp.tv_sec) + static_cast<double>(stamp.tv_nsec) * 1e-9;
  }
  return 0;
}

int open_loopback_capture() {
  int const fd = ::socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
  if (fd < 0) return -1;
  sockaddr_ll address{};
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons(ETH_P_IP);
  address.sll_ifindex = static_cast<int>(if_nametoindex("lo"));
  int const on = 1;
  int const buffer = 64 << 20;
  timeval const tick{0, 200'000};
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0 ||
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof tick) != 0) {
    ::close(fd);
    return -1;
  }
  // Root may exceed rmem_max; without it the default buffer still works at lower rates.
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer) != 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  }
  return fd;
}

double percentile(std::vector<double> const& sorted, double fraction) {
  auto const index = static_cast<std::size_t>(fraction * static_cast<double>(sorted.size()));
  return sorted[std::min(index, sorted.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"request latency on the loopback interface, request bytes to answer bytes"};
  int port = 0;
  double seconds = 10;
  double over_ms = 20;
  app.add_option("--port", port, "the server's port")->required()->check(CLI::Range(1, 65535));
  app.add_option("--seconds", seconds, "how long to capture")->capture_default_str();
  app.add_option("--over-ms", over_ms, "count the requests slower than this")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  int const fd = open_loopback_capture();
  if (fd < 0) {
    std::fprintf(stderr, "once_wire_latency: no packet socket on lo (%s); it needs CAP_NET_RAW, e.g. root\n",
                 std::strerror(errno));
    return 1;
  }
  auto const server_port = static_cast<std::uint16_t>(port);
  std::unordered_map<std::uint16_t, double> request_started;  // by the client's port
  std::vector<double> latencies_ms;
  std::vector<unsigned char> packet(256);  // headers are all that is read
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
  auto const end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    sockaddr_ll from{};
    iovec io{packet.data(), packet.size()};
    msghdr message{};
    message.msg_name = &from;
    message.msg_namelen = sizeof from;
    message.msg_iov = &io;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    auto const got = ::recvmsg(fd, &message, MSG_TRUNC);
    // Loopback shows each packet twice, sent and received; the received copy is enough.
    if (got <= 0 || from.sll_pkttype == PACKET_OUTGOING) continue;
    captured_segment segment;
    if (!parse_segment(packet.data(), std::min(static_cast<std::size_t>(got), packet.size()), segment)) continue;
    bool const to_server = segment.destination_port == server_port;
    if (!to_server && segment.source_port != server_port) continue;
    auto const client_port = to_server ? segment.source_port : segment.destination_port;
    if (segment.carries_payload) {
      segment.seconds = received_seconds(message);
      if (to_server) {
        request_started.try_emplace(client_port, segment.seconds);  // later segments of a request keep its start
      } else if (auto const started = request_started.find(client_port); started != request_started.end()) {
        latencies_ms.push_back((segment.seconds - started->second) * 1000);
        request_started.erase(started);  // the rest of the answer is not a new one
      }
    }
    // A request left without an answer must not lend its start to a later connection on the same port.
    if (segment.ends_connection) request_started.erase(client_port);
  }
  ::close(fd);
  if (latencies_ms.empty()) {
    std::printf("requests 0\n");
    return 0;
  }
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto const over = latencies_ms.end() - std::upper_bound(latencies_ms.begin(), latencies_ms.end(), over_ms);
  std::printf("requests %zu p50 %.2f p90 %.2f p99 %.2f max %.1f over_%g_ms %td\n", latencies_ms.size(),
              percentile(latencies_ms, 0.5), percentile(latencies_ms, 0.9), percentile(latencies_ms, 0.99),
              latencies_ms.back(), over_ms, over);
  return 0;
}
