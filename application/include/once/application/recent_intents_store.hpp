/// \file
/// A command store that remembers recently settled intent records in memory
/// and answers a repeat from them without asking the store it wraps.
///
/// Sound because a settled record (applied or rejected) never changes while it
/// lives: it is written once, in the transaction that carried the intent out,
/// and only an expired record is ever replaced or purged. So a remembered
/// record is used only until its expires_at (judged at the claim's
/// requested_at, as the stores do), and a miss always goes to the wrapped
/// store, which still decides every first attempt and every race. Nothing is
/// remembered that was not committed: records enter when the wrapped store
/// answers a repeat or finds a settled record, or when a commit through this
/// store succeeds (claimed, or decided in one step).
///
/// Bounded: at most `capacity` records, the oldest remembered forgotten first.
#pragma once

#include <cstddef>
#include <memory>

#include <once/application/command_store.hpp>

namespace once::application {

class recent_intents_store final : public command_store {
 public:
  recent_intents_store(command_store& inner, std::size_t capacity);
  ~recent_intents_store() override;
  recent_intents_store(recent_intents_store const&) = delete;
  recent_intents_store& operator=(recent_intents_store const&) = delete;

  [[nodiscard]] result<claim_result> claim(intent_claim const& claim, claim_waits const& waits) override;
  [[nodiscard]] result<std::optional<stored_aggregate>> read(aggregate_ref const& ref) override;
  [[nodiscard]] result<std::optional<std::string>> read_entity(aggregate_ref const& ref, std::string_view collection,
                                                               std::string const& id) override;
  [[nodiscard]] result<std::optional<intent_record>> find(domain::intent_key const& intent) override;
  [[nodiscard]] std::optional<intent_record> recall(intent_claim const& claim) override;
  [[nodiscard]] result<decided_commit> commit_decided(intent_claim const& claim, command_effects effects,
                                                      claim_waits const& waits) override;

  /// How many repeats were answered from memory.
  [[nodiscard]] std::size_t hits() const noexcept;
  /// How many records are remembered now.
  [[nodiscard]] std::size_t size() const;

 private:
  struct memory;
  class remembering_claim;
  command_store* inner_;
  std::unique_ptr<memory> memory_;
};

}  // namespace once::application
