#include <once/application/command_store.hpp>

#include <utility>

namespace once::application {

// Claim, compare, commit: the contract kept by any store, in two steps. The
// claim serialises, so the version compared is the version committed on.
result<decided_commit> command_store::commit_decided(intent_claim const& claim, command_effects effects,
                                                     claim_waits const& waits) {
  intent_claim serialising = claim;
  serialising.serialise = true;
  auto claimed = this->claim(serialising, waits);
  if (!claimed) return domain::unexpected{std::move(claimed).error()};
  switch (claimed->state) {
    case claim_result::status::in_flight:
      return decided_commit{decided_commit::status::in_flight, std::nullopt, std::nullopt};
    case claim_result::status::repeat:
      return decided_commit{decided_commit::status::repeat, std::move(claimed->existing), std::nullopt};
    case claim_result::status::claimed:
      break;
  }
  auto const& current = claimed->claim->current();
  if ((current.has_value() ? current->version : 0) != effects.expected_version) {
    return decided_commit{decided_commit::status::moved, std::nullopt, current};
  }
  if (auto committed = claimed->claim->commit(std::move(effects)); !committed) {
    return domain::unexpected{std::move(committed).error()};
  }
  return decided_commit{};
}

}  // namespace once::application
