#include <once/memory/memory_command_store.hpp>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <memory>
#include <string>
#include <tuple>
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

// One open "transaction": the intent's in-flight mark and the aggregate's lock.
// It points at its map entries (node-based maps keep them in place) so that
// commit and rollback need no lookups.
class memory_command_store::memory_claim final : public application::claimed_intent {
 public:
  memory_claim(memory_command_store& store, intent_map::value_type& intent, aggregate_map::value_type& aggregate)
      : store_(&store), intent_(&intent), aggregate_(&aggregate) {}
  memory_claim(memory_claim const&) = delete;
  memory_claim& operator=(memory_claim const&) = delete;
  ~memory_claim() override {
    if (!finished_) store_->release(*this);
  }

  // The aggregate is locked by this claim, so nobody else writes it meanwhile.
  [[nodiscard]] std::optional<stored_aggregate> const& current() const override { return aggregate_->second.stored; }

  [[nodiscard]] result<std::optional<std::string>> entity(std::string_view collection, std::string const& id) override {
    std::lock_guard lock(store_->mutex_);
    return aggregate_->second.entity(collection, id);
  }

  [[nodiscard]] result<void> commit(application::command_effects effects) override {
    if (finished_) return fail(error_code::internal, "this claim was already committed");
    return store_->commit(*this, std::move(effects));
  }

  intent_map::value_type& intent() const { return *intent_; }
  aggregate_map::value_type& aggregate() const { return *aggregate_; }
  void finish() { finished_ = true; }

 private:
  memory_command_store* store_;
  intent_map::value_type* intent_;
  aggregate_map::value_type* aggregate_;
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

  // Take the key, or wait for an in-flight twin and then answer from its record or take over.
  auto [intent, is_new] = intents_.try_emplace(claim.intent);
  bool const waited_for_twin = !is_new && intent->second.in_flight;
  while (!is_new && intent->second.in_flight) {
    bool const timed_out = released_.wait_until(lock, started + waits.in_flight) == std::cv_status::timeout;
    std::tie(intent, is_new) = intents_.try_emplace(claim.intent);  // the twin may have committed or rolled back
    if (timed_out && !is_new && intent->second.in_flight) {
      return claim_result{claim_result::status::in_flight, nullptr, std::nullopt};
    }
  }
  if (intent->second.record.has_value()) {
    if (application::live_at(*intent->second.record, claim.requested_at)) {
      return claim_result{claim_result::status::repeat, nullptr, intent->second.record, waited_for_twin};
    }
    intent->second.record.reset();  // expired: the key is free again
  }
  intent->second.in_flight = true;
  // Nodes stay put while the map rehashes; only this claim's owner removes an in-flight entry.
  auto& claimed_intent = *intent;

  // Serialise commands on one aggregate, as SELECT ... FOR UPDATE does.
  auto& aggregate = *aggregates_.try_emplace(claim.target).first;
  if (!released_.wait_until(lock, started + waits.aggregate, [&] { return !aggregate.second.locked; })) {
    intents_.erase(claim.intent);
    released_.notify_all();
    return fail(error_code::unavailable, "aggregate " + claim.target.id + " stayed locked past the wait bound");
  }
  aggregate.second.locked = true;
  return claim_result{claim_result::status::claimed, std::make_unique<memory_claim>(*this, claimed_intent, aggregate),
                      std::nullopt, waited_for_twin};
}

result<void> memory_command_store::commit(memory_claim& claim, application::command_effects&& effects) {
  std::lock_guard lock(mutex_);
  auto& aggregate = claim.aggregate().second;
  if (effects.new_state.has_value()) {
    std::int64_t const version = aggregate.stored.has_value() ? aggregate.stored->version : 0;
    if (version != effects.expected_version) {
      // The claim stays open; its owner rolls back by dropping it.
      return fail(error_code::aborted,
                  "aggregate " + claim.aggregate().first.id + " moved to version " + std::to_string(version));
    }
    aggregate.write(std::move(*effects.new_state));
  }
  auto& intent = claim.intent().second;
  if (effects.step.has_value()) {
    auto const& start = *effects.step;
    application::step_record step{effects.record.intent,
                                  effects.record.command_type,
                                  effects.record.target,
                                  start.reference,
                                  start.command,
                                  effects.record.fingerprint,
                                  application::step_status::pending,
                                  1,
                                  start.lease_until,
                                  start.lease_until,
                                  1,
                                  effects.record.created_at};
    steps_[effects.record.intent] = step_slot{std::move(step), start.lease_until};
  }
  intent.record = std::move(effects.record);
  intent.in_flight = false;
  outbox_.insert(outbox_.end(), std::make_move_iterator(effects.outbox.begin()),
                 std::make_move_iterator(effects.outbox.end()));
  if (effects.inbox.has_value()) receipts_.emplace(effects.inbox->consumer, effects.inbox->message_id);
  aggregate.locked = false;
  claim.finish();
  released_.notify_all();
  return {};
}

result<bool> memory_command_store::has_received(domain::message_receipt const& receipt) {
  std::lock_guard lock(mutex_);
  return receipts_.contains({receipt.consumer, receipt.message_id});
}

result<void> memory_command_store::record_receipt(domain::message_receipt const& receipt) {
  std::lock_guard lock(mutex_);
  receipts_.emplace(receipt.consumer, receipt.message_id);
  return {};
}

result<void> memory_command_store::record_dead_letter(application::dead_letter const& letter) {
  std::lock_guard lock(mutex_);
  for (auto const& known : dead_letters_) {
    if (known.consumer == letter.consumer && known.topic == letter.topic && known.partition == letter.partition &&
        known.offset == letter.offset) {
      return {};
    }
  }
  dead_letters_.push_back(letter);
  return {};
}

std::vector<application::dead_letter> memory_command_store::dead_letters() const {
  std::lock_guard lock(mutex_);
  return dead_letters_;
}

namespace {

bool open(application::step_status status) {
  return status == application::step_status::pending || status == application::step_status::unknown;
}

}  // namespace

result<bool> memory_command_store::conclude(application::step_conclusion const& conclusion) {
  std::lock_guard lock(mutex_);
  auto const& effects = conclusion.effects;
  auto step = steps_.find(effects.record.intent);
  if (step == steps_.end() || !open(step->second.record.status) || step->second.record.attempt != conclusion.attempt) {
    return false;
  }
  auto intent = intents_.find(effects.record.intent);
  if (intent == intents_.end() || !intent->second.record.has_value()) {
    return fail(error_code::internal, "the intent of a step is gone");
  }
  auto& aggregate = aggregates_[effects.record.target];
  if (effects.new_state.has_value()) {
    if (aggregate.locked) return fail(error_code::aborted, "the aggregate is held by a command");
    std::int64_t const version = aggregate.stored.has_value() ? aggregate.stored->version : 0;
    if (version != effects.expected_version) {
      return fail(error_code::aborted, "aggregate " + effects.record.target.id + " moved");
    }
    aggregate.write(*effects.new_state);
  }
  auto& record = *intent->second.record;
  record.status = effects.record.status;
  record.stored_result = effects.record.stored_result;
  record.aggregate_version = effects.record.aggregate_version;
  outbox_.insert(outbox_.end(), effects.outbox.begin(), effects.outbox.end());
  step->second.record.status = conclusion.status;
  step->second.next_check_at = conclusion.next_check_at;
  if (conclusion.exception.has_value()) queue_exception(*conclusion.exception);
  return true;
}

result<std::vector<application::step_record>> memory_command_store::take_over(std::string const&,
                                                                              application::time_point now,
                                                                              std::chrono::milliseconds lease,
                                                                              std::size_t limit) {
  std::lock_guard lock(mutex_);
  std::vector<application::step_record> taken;
  for (auto& [key, slot] : steps_) {
    if (taken.size() >= limit) break;
    if (!open(slot.record.status) || slot.next_check_at > now) continue;
    ++slot.record.attempt;
    slot.record.lease_until = now + lease;
    slot.next_check_at = slot.record.lease_until;
    taken.push_back(slot.record);
  }
  return taken;
}

result<bool> memory_command_store::prepare_call(domain::intent_key const& intent, std::int64_t attempt,
                                                application::time_point lease_until) {
  std::lock_guard lock(mutex_);
  auto step = steps_.find(intent);
  if (step == steps_.end() || !open(step->second.record.status) || step->second.record.attempt != attempt) {
    return false;
  }
  auto& record = step->second.record;
  record.lease_until = lease_until;
  record.last_sent_by = lease_until;
  ++record.calls;
  step->second.next_check_at = lease_until;
  return true;
}

result<void> memory_command_store::defer(domain::intent_key const& intent, std::int64_t attempt,
                                         application::time_point next_check_at) {
  std::lock_guard lock(mutex_);
  auto step = steps_.find(intent);
  if (step != steps_.end() && step->second.record.attempt == attempt && open(step->second.record.status)) {
    step->second.next_check_at = next_check_at;
  }
  return {};
}

result<std::optional<application::step_record>> memory_command_store::find_step(domain::intent_key const& intent) {
  std::lock_guard lock(mutex_);
  auto step = steps_.find(intent);
  if (step == steps_.end()) return std::optional<application::step_record>{};
  return std::optional{step->second.record};
}

result<bool> memory_command_store::lead(std::string const& name, std::string const& holder,
                                        std::chrono::milliseconds ttl) {
  std::lock_guard lock(mutex_);
  auto const now = clock_->now();
  auto [lease, taken] = leases_.try_emplace(name, holder, now + ttl);
  if (taken) return true;
  if (lease->second.first != holder && lease->second.second > now) return false;
  lease->second = {holder, now + ttl};
  return true;
}

void memory_command_store::queue_exception(application::exception_entry const& entry) {
  auto const now = clock_->now();
  for (auto& known : exceptions_) {
    if (known.tenant == entry.tenant && known.reason == entry.reason && known.subject == entry.reference) {
      known.last_seen = now;
      known.evidence = entry.evidence;
      return;
    }
  }
  application::queued_exception queued;
  queued.id = static_cast<std::int64_t>(exceptions_.size()) + 1;
  queued.tenant = entry.tenant;
  queued.reason = entry.reason;
  queued.subject = entry.reference;
  queued.evidence = entry.evidence;
  queued.intent = entry.intent;
  queued.status = "open";
  queued.first_seen = now;
  queued.last_seen = now;
  exceptions_.push_back(std::move(queued));
}

result<std::vector<application::queued_exception>> memory_command_store::exceptions(
    std::optional<std::string> const& tenant, bool open_only) {
  std::lock_guard lock(mutex_);
  std::vector<application::queued_exception> found;
  for (auto const& each : exceptions_) {
    if (tenant.has_value() && each.tenant != *tenant) continue;
    if (open_only && each.status != "open") continue;
    found.push_back(each);
  }
  return found;
}

result<std::optional<application::queued_exception>> memory_command_store::resolve_exception(
    std::int64_t id, std::optional<std::string> const& tenant, std::string const& note) {
  std::lock_guard lock(mutex_);
  for (auto& each : exceptions_) {
    if (each.id != id || (tenant.has_value() && each.tenant != *tenant)) continue;
    if (each.status == "open") {
      each.status = "resolved";
      each.note = note;
    }
    return std::optional{each};
  }
  return std::optional<application::queued_exception>{};
}

result<void> memory_command_store::record_exception(application::exception_entry const& entry) {
  std::lock_guard lock(mutex_);
  queue_exception(entry);
  return {};
}

result<application::step_summary> memory_command_store::summarize() {
  std::lock_guard lock(mutex_);
  application::step_summary summary;
  for (auto const& [key, slot] : steps_) {
    summary.pending += slot.record.status == application::step_status::pending ? 1 : 0;
    summary.unknown += slot.record.status == application::step_status::unknown ? 1 : 0;
  }
  auto const now = clock_->now();
  for (auto const& each : exceptions_) {
    if (each.status != "open") continue;
    ++summary.open_exceptions;
    summary.oldest_open_exception_seconds =
        std::max(summary.oldest_open_exception_seconds, std::chrono::duration<double>(now - each.first_seen).count());
  }
  return summary;
}

void memory_command_store::release(memory_claim& claim) {
  std::lock_guard lock(mutex_);
  intents_.erase(intents_.find(claim.intent().first));
  claim.aggregate().second.locked = false;
  claim.finish();
  released_.notify_all();
}

result<std::optional<stored_aggregate>> memory_command_store::read(aggregate_ref const& ref) {
  std::lock_guard lock(mutex_);
  if (auto found = aggregates_.find(ref); found != aggregates_.end()) return found->second.stored;
  return std::optional<stored_aggregate>{};
}

std::optional<intent_record> memory_command_store::recall(intent_claim const& claim) {
  std::lock_guard lock(mutex_);
  auto found = intents_.find(claim.intent);
  if (found == intents_.end() || !found->second.record.has_value()) return std::nullopt;
  if (!application::live_at(*found->second.record, claim.requested_at)) return std::nullopt;
  return found->second.record;
}

result<std::optional<intent_record>> memory_command_store::find(domain::intent_key const& intent) {
  std::lock_guard lock(mutex_);
  auto found = intents_.find(intent);
  if (found == intents_.end() || !found->second.record.has_value()) return std::optional<intent_record>{};
  auto const& record = *found->second.record;
  if (!application::live_at(record, clock_->now())) return std::optional<intent_record>{};
  return std::optional{record};
}

void memory_command_store::seed(stored_aggregate aggregate) {
  std::lock_guard lock(mutex_);
  auto ref = aggregate.ref;
  aggregates_[std::move(ref)].write(std::move(aggregate));
}

void memory_command_store::aggregate_slot::write(stored_aggregate written) {
  for (auto& entry : written.entities) {
    std::pair key{std::move(entry.collection), std::move(entry.id)};
    if (entry.removed) {
      entities.erase(key);
    } else {
      entities[std::move(key)] = std::move(entry.state);
    }
  }
  written.entities.clear();
  stored = std::move(written);
}

std::optional<std::string> memory_command_store::aggregate_slot::entity(std::string_view collection,
                                                                        std::string const& id) const {
  auto const found = entities.find(std::pair{std::string{collection}, id});
  if (found == entities.end()) return std::nullopt;
  return found->second;
}

result<std::optional<std::string>> memory_command_store::read_entity(aggregate_ref const& ref,
                                                                     std::string_view collection,
                                                                     std::string const& id) {
  std::lock_guard lock(mutex_);
  auto const found = aggregates_.find(ref);
  if (found == aggregates_.end()) return std::optional<std::string>{};
  return found->second.entity(collection, id);
}

std::size_t memory_command_store::intent_count() const {
  std::lock_guard lock(mutex_);
  std::size_t count = 0;
  for (auto const& [key, slot] : intents_) count += slot.record.has_value() ? 1U : 0U;
  return count;
}

std::vector<application::outbox_message> memory_command_store::outbox() const {
  std::lock_guard lock(mutex_);
  return {outbox_.begin(), outbox_.end()};
}

std::size_t memory_command_store::outbox_size() const {
  std::lock_guard lock(mutex_);
  return outbox_.size();
}

}  // namespace once::memory
