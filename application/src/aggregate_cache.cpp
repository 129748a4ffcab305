#include <once/application/aggregate_cache.hpp>

#include <cstdlib>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

namespace once::application {
namespace {

// Shards, so that threads working on different aggregates seldom share a lock.
constexpr std::size_t shard_count = 16;

struct ref_hash {
  std::size_t operator()(aggregate_ref const& ref) const noexcept {
    std::hash<std::string> const text;
    return text(ref.id) ^ (text(ref.type) << 1) ^ (text(ref.tenant) << 2);
  }
};

std::size_t cost_of(stored_aggregate const& aggregate) {
  return aggregate_cache::entry_overhead + aggregate.ref.tenant.size() + aggregate.ref.type.size() +
         aggregate.ref.id.size() + aggregate.state.size();
}

}  // namespace

struct aggregate_cache::shard {
  std::mutex mutex;
  std::list<stored_aggregate> by_use;  // most recently used first
  std::unordered_map<aggregate_ref, std::list<stored_aggregate>::iterator, ref_hash> index;
  std::size_t bytes = 0;
  std::size_t max_bytes = 0;

  void erase(std::list<stored_aggregate>::iterator entry) {
    bytes -= cost_of(*entry);
    index.erase(entry->ref);
    by_use.erase(entry);
  }
};

aggregate_cache::aggregate_cache(std::size_t max_bytes) : shards_(std::make_unique<shard[]>(shard_count)) {
  for (std::size_t i = 0; i < shard_count; ++i) shards_[i].max_bytes = max_bytes / shard_count;
}

aggregate_cache::~aggregate_cache() = default;

namespace {
std::size_t shard_index(aggregate_ref const& ref) {
  return ref_hash{}(ref) % shard_count;
}
}  // namespace

std::optional<stored_aggregate> aggregate_cache::find(aggregate_ref const& ref) {
  auto& in = shards_[shard_index(ref)];
  std::lock_guard lock(in.mutex);
  auto const found = in.index.find(ref);
  if (found == in.index.end()) return std::nullopt;
  in.by_use.splice(in.by_use.begin(), in.by_use, found->second);
  return *found->second;
}

void aggregate_cache::remember(stored_aggregate const& aggregate) {
  auto& in = shards_[shard_index(aggregate.ref)];
  auto const cost = cost_of(aggregate);
  std::lock_guard lock(in.mutex);
  if (auto const found = in.index.find(aggregate.ref); found != in.index.end()) {
    if (found->second->version > aggregate.version) return;  // a later commit was remembered first
    in.erase(found->second);
  }
  if (cost > in.max_bytes) return;  // larger than the shard's share: never kept
  while (in.bytes + cost > in.max_bytes) in.erase(std::prev(in.by_use.end()));
  in.by_use.push_front(stored_aggregate{aggregate.ref, aggregate.version, aggregate.state, {}});
  in.index.emplace(aggregate.ref, in.by_use.begin());
  in.bytes += cost;
}

void aggregate_cache::forget(aggregate_ref const& ref) {
  auto& in = shards_[shard_index(ref)];
  std::lock_guard lock(in.mutex);
  if (auto const found = in.index.find(ref); found != in.index.end()) in.erase(found->second);
}

int aggregate_cache::type_scores::of(std::string_view command_type) const noexcept {
  return scores_[std::hash<std::string_view>{}(command_type) % scores_.size()].load(std::memory_order_relaxed);
}

void aggregate_cache::type_scores::learn(std::string_view command_type, bool held) noexcept {
  auto& score = scores_[std::hash<std::string_view>{}(command_type) % scores_.size()];
  auto const step = held ? 1 : -1;
  auto seen = score.load(std::memory_order_relaxed);
  while (std::abs(seen + step) <= memory &&
         !score.compare_exchange_weak(seen, seen + step, std::memory_order_relaxed)) {
  }
}

bool aggregate_cache::absent_is_likely(std::string_view command_type) const noexcept {
  return misses_found_absent_.of(command_type) >= 0;
}

void aggregate_cache::learn_miss(std::string_view command_type, bool was_absent) noexcept {
  misses_found_absent_.learn(command_type, was_absent);
}

bool aggregate_cache::repeat_is_likely(std::string_view command_type) const noexcept {
  return answers_were_repeats_.of(command_type) > 0;
}

void aggregate_cache::learn_answer(std::string_view command_type, bool was_repeat) noexcept {
  answers_were_repeats_.learn(command_type, was_repeat);
}

std::size_t aggregate_cache::size() const {
  std::size_t total = 0;
  for (std::size_t i = 0; i < shard_count; ++i) {
    std::lock_guard lock(shards_[i].mutex);
    total += shards_[i].index.size();
  }
  return total;
}

std::size_t aggregate_cache::bytes() const {
  std::size_t total = 0;
  for (std::size_t i = 0; i < shard_count; ++i) {
    std::lock_guard lock(shards_[i].mutex);
    total += shards_[i].bytes;
  }
  return total;
}

}  // namespace once::application
