// A message on claims.events, any bytes, through fraud-screening's handling
// (claims::screening::screen) and the inbox's envelope: it is handled,
// undecodable, failed or retried with a reason, never a crash. The input is
// header lines ("name: value") up to the first empty line, then the value; the
// memory store holds the claim of C-1's submission S-1, so that a
// ClaimSubmitted naming it records a screening.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <tuple>

#include <once/application/command_dispatcher.hpp>
#include <once/kafka/inbox_consumer.hpp>
#include <once/memory/memory_command_store.hpp>

#include <claims/domain/claim.hpp>

#include "screening.hpp"

namespace {

once::kafka::inbox_message message_of(std::string_view input) {
  once::kafka::inbox_message message{
      .topic = "claims.events", .partition = 0, .offset = 0, .key = {}, .value = {}, .headers = {}};
  auto const end_of_headers = input.find("\n\n");
  auto headers = input.substr(0, end_of_headers);
  message.value =
      end_of_headers == std::string_view::npos ? std::string{} : std::string{input.substr(end_of_headers + 2)};
  while (!headers.empty()) {
    auto const end_of_line = headers.find('\n');
    auto const line = headers.substr(0, end_of_line);
    auto const colon = line.find(": ");
    if (colon != std::string_view::npos) {
      message.headers.emplace_back(std::string{line.substr(0, colon)}, std::string{line.substr(colon + 2)});
    }
    if (end_of_line == std::string_view::npos) break;
    headers.remove_prefix(end_of_line + 1);
  }
  return message;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  auto const message = message_of({reinterpret_cast<char const*>(data), size});
  once::memory::memory_command_store store;
  once::application::command_dispatcher<claims::domain::claim> claims{store};
  once::domain::envelope submitted_by;
  submitted_by.tenant = message.header("tenant").value_or("tenant-a");
  std::ignore = claims.dispatch(claims::domain::submit_claim{"S-1", "C-1", "P-1", {500, "EUR"}, "storm"}, submitted_by);

  auto const first = claims::screening::screen(claims, message, "fraud-screening");
  if (first.outcome != once::kafka::handling::verdict::handled && first.reason.empty()) std::abort();
  // Redelivered: the inbox skips it before the handler, but the handler alone must also answer it again.
  auto const again = claims::screening::screen(claims, message, "fraud-screening");
  if (first.outcome == once::kafka::handling::verdict::handled && again.outcome != first.outcome) std::abort();
  if (again.new_effects && first.outcome == once::kafka::handling::verdict::handled && first.new_effects) {
    std::abort();  // a repeat of an applied message applied again
  }
  return 0;
}
