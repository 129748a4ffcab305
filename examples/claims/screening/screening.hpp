// What fraud-screening makes of a message from claims.events: a
// ClaimSubmitted becomes one RecordScreening of its claim (flagged at
// flagged_from minor units or more, else clear), dispatched with the
// message's envelope (its event-id names the intent, its tenant the tenant).
// A message that is not a ClaimSubmitted is undecodable (to the dead-letter
// topic); an outage of the store is retried; the domain's refusals are
// handled answers.
#pragma once

#include <string>

#include <once/application/command_dispatcher.hpp>
#include <once/kafka/inbox_consumer.hpp>

#include <claims/domain/claim.hpp>

namespace claims::screening {

[[nodiscard]] once::kafka::handling screen(once::application::command_dispatcher<domain::claim>& claims,
                                           once::kafka::inbox_message const& message, std::string const& group);

}  // namespace claims::screening
