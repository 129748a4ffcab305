#include <once/application/recent_intents_store.hpp>

#include <array>
#include <atomic>
#include <deque>
#include <functional>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace once::application {
namespace {

bool settled(intent_record const& record) {
  return record.status == intent_status::applied || record.status == intent_status::rejected;
}

}  // namespace

// Shards, so that threads replaying different intents seldom share a lock.
struct recent_intents_store::memory {
  static constexpr std::size_t shard_count = 16;
  struct shard {
    std::mutex mutex;
    std::unordered_map<domain::intent_key, intent_record> records;
    std::deque<domain::intent_key const*> arrival;  // the keys of `records`, oldest first (map nodes do not move)
  };

  explicit memory(std::size_t capacity) : per_shard(capacity == 0 ? 0 : capacity / shard_count + 1) {}

  shard& shard_of(domain::intent_key const& intent) {
    return shards[std::hash<domain::intent_key>{}(intent) % shard_count];
  }

  // Only settled records; an expired one replaced keeps its place in line.
  void remember(intent_record record) {
    if (!settled(record) || per_shard == 0) return;
    auto& into = shard_of(record.intent);
    std::lock_guard lock(into.mutex);
    domain::intent_key key = record.intent;  // copied before the record moves in
    auto const [entry, is_new] = into.records.insert_or_assign(std::move(key), std::move(record));
    if (!is_new) return;
    into.arrival.push_back(&entry->first);
    while (into.records.size() > per_shard) {
      into.records.erase(into.records.find(*into.arrival.front()));
      into.arrival.pop_front();
    }
  }

  // The remembered record of the claimed intent, if it is still live at the claim's time.
  std::optional<intent_record> recall(intent_claim const& claim);

  std::size_t per_shard;
  std::array<shard, shard_count> shards;
  std::atomic<std::size_t> hits{0};
};

// A claimed intent whose successful commit is remembered.
class recent_intents_store::remembering_claim final : public claimed_intent {
 public:
  remembering_claim(std::unique_ptr<claimed_intent> inner, memory& remembered)
      : inner_(std::move(inner)), remembered_(&remembered) {}

  [[nodiscard]] std::optional<stored_aggregate> const& current() const override { return inner_->current(); }

  [[nodiscard]] result<std::optional<std::string>> entity(std::string_view collection, std::string const& id) override {
    return inner_->entity(collection, id);
  }

  [[nodiscard]] result<void> commit(command_effects effects) override {
    auto record = effects.record;  // the effects move into the store
    auto committed = inner_->commit(std::move(effects));
    if (committed) remembered_->remember(std::move(record));
    return committed;
  }

 private:
  std::unique_ptr<claimed_intent> inner_;
  memory* remembered_;
};

recent_intents_store::recent_intents_store(command_store& inner, std::size_t capacity)
    : inner_(&inner), memory_(std::make_unique<memory>(capacity)) {}

recent_intents_store::~recent_intents_store() = default;

std::optional<intent_record> recent_intents_store::memory::recall(intent_claim const& claim) {
  auto& shard = shard_of(claim.intent);
  std::lock_guard lock(shard.mutex);
  auto const found = shard.records.find(claim.intent);
  if (found == shard.records.end() || !live_at(found->second, claim.requested_at)) return std::nullopt;
  hits.fetch_add(1, std::memory_order_relaxed);
  return found->second;
}

result<claim_result> recent_intents_store::claim(intent_claim const& claim, claim_waits const& waits) {
  if (auto remembered = memory_->recall(claim); remembered.has_value()) {
    return claim_result{claim_result::status::repeat, nullptr, std::move(remembered)};
  }
  auto answer = inner_->claim(claim, waits);
  if (!answer) return answer;
  if (answer->state == claim_result::status::repeat && answer->existing.has_value()) {
    memory_->remember(*answer->existing);
  } else if (answer->state == claim_result::status::claimed) {
    answer->claim = std::make_unique<remembering_claim>(std::move(answer->claim), *memory_);
  }
  return answer;
}

std::optional<intent_record> recent_intents_store::recall(intent_claim const& claim) {
  if (auto remembered = memory_->recall(claim); remembered.has_value()) return remembered;
  return inner_->recall(claim);
}

result<decided_commit> recent_intents_store::commit_decided(intent_claim const& claim, command_effects effects,
                                                            claim_waits const& waits) {
  if (auto remembered = memory_->recall(claim); remembered.has_value()) {
    return decided_commit{decided_commit::status::repeat, std::move(remembered), std::nullopt};
  }
  auto record = effects.record;  // the effects move into the store
  auto answer = inner_->commit_decided(claim, std::move(effects), waits);
  if (!answer) return answer;
  if (answer->state == decided_commit::status::committed) {
    memory_->remember(std::move(record));
  } else if (answer->state == decided_commit::status::repeat && answer->existing.has_value()) {
    memory_->remember(*answer->existing);
  }
  return answer;
}

result<std::optional<stored_aggregate>> recent_intents_store::read(aggregate_ref const& ref) {
  return inner_->read(ref);
}

result<std::optional<std::string>> recent_intents_store::read_entity(aggregate_ref const& ref,
                                                                     std::string_view collection,
                                                                     std::string const& id) {
  return inner_->read_entity(ref, collection, id);
}

result<std::optional<intent_record>> recent_intents_store::find(domain::intent_key const& intent) {
  // Lookups judge expiry by the store's clock: always ask it. What it found is
  // remembered, or a dispatcher that looks up repeats first would ask the
  // store again at every repeat of an intent no longer remembered.
  auto found = inner_->find(intent);
  if (found && found->has_value()) memory_->remember(**found);
  return found;
}

std::size_t recent_intents_store::hits() const noexcept {
  return memory_->hits.load(std::memory_order_relaxed);
}

std::size_t recent_intents_store::size() const {
  std::size_t total = 0;
  for (auto& shard : memory_->shards) {
    std::lock_guard lock(shard.mutex);
    total += shard.records.size();
  }
  return total;
}

}  // namespace once::application
