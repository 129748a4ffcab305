/// \file
/// The in-memory command store: the embedded default for demos and the store
/// behind domain tests. It keeps the same contract as the PostgreSQL store
/// (see once/application/command_store.hpp): the claim is atomic, a duplicate
/// waits for its in-flight twin, an aggregate is locked from claim to commit,
/// an abandoned claim rolls back. Thread-safe; nothing survives the process.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include <once/application/clock.hpp>
#include <once/application/command_store.hpp>
#include <once/application/external_steps.hpp>
#include <once/application/inbox.hpp>

namespace once::memory {

class memory_command_store final : public application::command_store,
                                   public application::inbox_store,
                                   public application::external_step_store {
 public:
  /// `clock` decides when a record has expired for find(); claims use their own requested_at.
  explicit memory_command_store(application::clock const& clock = default_clock());
  memory_command_store(memory_command_store const&) = delete;
  memory_command_store& operator=(memory_command_store const&) = delete;

  [[nodiscard]] application::result<application::claim_result> claim(application::intent_claim const& claim,
                                                                     application::claim_waits const& waits) override;
  [[nodiscard]] application::result<std::optional<application::stored_aggregate>> read(
      application::aggregate_ref const& ref) override;
  [[nodiscard]] application::result<std::optional<std::string>> read_entity(application::aggregate_ref const& ref,
                                                                            std::string_view collection,
                                                                            std::string const& id) override;
  /// Every record is in memory: a repeat is answered before its command is decided.
  [[nodiscard]] std::optional<application::intent_record> recall(application::intent_claim const& claim) override;
  [[nodiscard]] application::result<std::optional<application::intent_record>> find(
      domain::intent_key const& intent) override;

  [[nodiscard]] application::result<bool> has_received(domain::message_receipt const& receipt) override;
  [[nodiscard]] application::result<void> record_receipt(domain::message_receipt const& receipt) override;
  [[nodiscard]] application::result<void> record_dead_letter(application::dead_letter const& letter) override;
  [[nodiscard]] std::vector<application::dead_letter> dead_letters() const;

  [[nodiscard]] application::result<bool> conclude(application::step_conclusion const& conclusion) override;
  [[nodiscard]] application::result<std::vector<application::step_record>> take_over(std::string const& holder,
                                                                                     application::time_point now,
                                                                                     std::chrono::milliseconds lease,
                                                                                     std::size_t limit) override;
  [[nodiscard]] application::result<bool> prepare_call(domain::intent_key const& intent, std::int64_t attempt,
                                                       application::time_point lease_until) override;
  [[nodiscard]] application::result<void> defer(domain::intent_key const& intent, std::int64_t attempt,
                                                application::time_point next_check_at) override;
  [[nodiscard]] application::result<std::optional<application::step_record>> find_step(
      domain::intent_key const& intent) override;
  [[nodiscard]] application::result<bool> lead(std::string const& name, std::string const& holder,
                                               std::chrono::milliseconds ttl) override;
  [[nodiscard]] application::result<std::vector<application::queued_exception>> exceptions(
      std::optional<std::string> const& tenant, bool open_only) override;
  [[nodiscard]] application::result<std::optional<application::queued_exception>> resolve_exception(
      std::int64_t id, std::optional<std::string> const& tenant, std::string const& note) override;
  [[nodiscard]] application::result<void> record_exception(application::exception_entry const& entry) override;
  [[nodiscard]] application::result<application::step_summary> summarize() override;

  /// Puts an aggregate in place as if earlier commands had produced it (test set-up).
  void seed(application::stored_aggregate aggregate);

  /// Inspection, for tests and the demo.
  [[nodiscard]] std::size_t intent_count() const;
  [[nodiscard]] std::vector<application::outbox_message> outbox() const;
  [[nodiscard]] std::size_t outbox_size() const;

 private:
  class memory_claim;
  struct intent_slot {
    std::optional<application::intent_record> record;
    bool in_flight = false;
  };
  struct aggregate_slot {
    std::optional<application::stored_aggregate> stored;  // the root (its entities field stays empty)
    std::map<std::pair<std::string, std::string>, std::string, std::less<>> entities;  // (collection, id) -> JSON
    bool locked = false;  // a claim holds it from claim to commit or rollback
    /// Takes a written aggregate: the root, and its entries beside it.
    void write(application::stored_aggregate written);
    [[nodiscard]] std::optional<std::string> entity(std::string_view collection, std::string const& id) const;
  };
  using intent_map = std::unordered_map<domain::intent_key, intent_slot>;
  using aggregate_map = std::map<application::aggregate_ref, aggregate_slot>;

  application::result<void> commit(memory_claim& claim, application::command_effects&& effects);
  void release(memory_claim& claim);

  static application::clock const& default_clock();

  application::clock const* clock_;
  mutable std::mutex mutex_;
  std::condition_variable released_;  // an in-flight intent or a locked aggregate was let go
  intent_map intents_;                // node-based: a claim keeps pointers to its entries
  aggregate_map aggregates_;
  std::deque<application::outbox_message> outbox_;          // grows without moving what it holds
  std::set<std::pair<std::string, std::string>> receipts_;  // (consumer, message id)
  std::vector<application::dead_letter> dead_letters_;
  struct step_slot {
    application::step_record record;
    application::time_point next_check_at{};
  };
  std::map<domain::intent_key, step_slot> steps_;
  std::vector<application::queued_exception> exceptions_;
  void queue_exception(application::exception_entry const& entry);                 // with mutex_ held
  std::map<std::string, std::pair<std::string, application::time_point>> leases_;  // name -> holder, until
};

}  // namespace once::memory
