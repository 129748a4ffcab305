#include <once/memory/memory_command_store.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <utility>

namespace once::memory {

using application::aggregate_ref;
using application::claim_result;
using application::error_code;
using application::fail;
using application::intent_claim;
using application::intent_record;
using application::result;
using application::stored_aggregate;

namespace {

bool expired(intent_record const& record, application::time_point now) {
  return record.expires_at.has_value() && *record.expires_at <= now;
}

}  // namespace

// One open "transaction": holds the intent's in-flight mark and the aggregate lock.
class memory_command_store::memory_claim final : public application::claimed_intent {
 public:
  memory_claim(memory_command_store& store, intent_claim claim, std::optional<stored_aggregate> current)
      : store_(&store), claim_(std::move(claim)), current_(std::move(current)) {}
  memory_claim(memory_claim const&) = delete;
  memory_claim& operator=(memory_claim const&) = delete;
  ~memory_claim() override {
    if (!finished_) store_->release(*this);
  }

  [[nodiscard]] std::optional<stored_aggregate> const& current() const override { return current_; }

  [[nodiscard]] result<void> commit(application::command_effects const& effects) override {
    if (finished_) return fail(error_code::internal, "this claim was already committed");
    result<void> outcome;
    store_->commit(*this, effects, outcome);
    return outcome;
  }

  intent_claim const& claim() const { return claim_; }
  void finish() { finished_ = true; }

 private:
  memory_command_store* store_;
  intent_claim claim_;
  std::optional<stored_aggregate> current_;
  bool finished_ = false;
};

application::clock const& memory_command_store::default_clock() {
  static application::system_clock const instance;
  return instance;
}

memory_command_store::memory_command_store(application::clock const& clock) : clock_(&clock) {}

result<claim_result> memory_command_store::claim(intent_claim const& claim, application::claim_waits const& waits) {
  auto const started = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex_);

  // Wait for an in-flight twin, then answer from its record or take over.
  for (;;) {
    auto found = intents_.find(claim.intent);
    if (found == intents_.end()) break;
    if (found->second.in_flight) {
      if (!released_.wait_until(lock, started + waits.in_flight, [&] {
            auto again = intents_.find(claim.intent);
            return again == intents_.end() || !again->second.in_flight;
          })) {
        return claim_result{claim_result::status::in_flight, nullptr, std::nullopt};
      }
      continue;
    }
    if (found->second.record.has_value() && !expired(*found->second.record, claim.requested_at)) {
      return claim_result{claim_result::status::repeat, nullptr, found->second.record};
    }
    intents_.erase(found);  // expired: the key is free again
    break;
  }
  intents_[claim.intent].in_flight = true;

  // Serialise commands on one aggregate, as SELECT ... FOR UPDATE does.
  if (!released_.wait_until(lock, started + waits.aggregate, [&] { return !locked_.contains(claim.target); })) {
    intents_.erase(claim.intent);
    released_.notify_all();
    return fail(error_code::unavailable, "aggregate " + claim.target.id + " stayed locked past the wait bound");
  }
  locked_.insert(claim.target);

  std::optional<stored_aggregate> current;
  if (auto stored = aggregates_.find(claim.target); stored != aggregates_.end()) current = stored->second;
  return claim_result{claim_result::status::claimed, std::make_unique<memory_claim>(*this, claim, std::move(current)),
                      std::nullopt};
}

void memory_command_store::commit(memory_claim& claim, application::command_effects const& effects,
                                  result<void>& outcome) {
  std::lock_guard lock(mutex_);
  auto const& target = claim.claim().target;
  if (effects.new_state.has_value()) {
    auto stored = aggregates_.find(target);
    std::int64_t const version = stored == aggregates_.end() ? 0 : stored->second.version;
    if (version != effects.expected_version) {
      outcome = fail(error_code::aborted, "aggregate " + target.id + " moved to version " + std::to_string(version));
      return;  // the claim stays open; its owner rolls back by dropping it
    }
    aggregates_.insert_or_assign(target, *effects.new_state);
  }
  auto& slot = intents_[claim.claim().intent];
  slot.record = effects.record;
  slot.in_flight = false;
  outbox_.insert(outbox_.end(), effects.outbox.begin(), effects.outbox.end());
  locked_.erase(target);
  claim.finish();
  released_.notify_all();
}

void memory_command_store::release(memory_claim& claim) {
  std::lock_guard lock(mutex_);
  intents_.erase(claim.claim().intent);
  locked_.erase(claim.claim().target);
  claim.finish();
  released_.notify_all();
}

result<std::optional<stored_aggregate>> memory_command_store::read(aggregate_ref const& ref) {
  std::lock_guard lock(mutex_);
  if (auto stored = aggregates_.find(ref); stored != aggregates_.end()) return std::optional{stored->second};
  return std::optional<stored_aggregate>{};
}

result<std::optional<intent_record>> memory_command_store::find(domain::intent_key const& intent) {
  std::lock_guard lock(mutex_);
  auto found = intents_.find(intent);
  if (found == intents_.end() || !found->second.record.has_value()) return std::optional<intent_record>{};
  auto const& record = *found->second.record;
  if (expired(record, clock_->now())) return std::optional<intent_record>{};
  return std::optional{record};
}

void memory_command_store::seed(stored_aggregate aggregate) {
  std::lock_guard lock(mutex_);
  auto ref = aggregate.ref;
  aggregates_.insert_or_assign(std::move(ref), std::move(aggregate));
}

std::size_t memory_command_store::intent_count() const {
  std::lock_guard lock(mutex_);
  std::size_t count = 0;
  for (auto const& [key, slot] : intents_) count += slot.record.has_value() ? 1U : 0U;
  return count;
}

std::vector<application::outbox_message> memory_command_store::outbox() const {
  std::lock_guard lock(mutex_);
  return outbox_;
}

std::size_t memory_command_store::outbox_size() const {
  std::lock_guard lock(mutex_);
  return outbox_.size();
}

}  // namespace once::memory
