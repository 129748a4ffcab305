/// \file
/// The aggregates a dispatcher last saw, so that a new intent on a warm
/// aggregate is decided without reading it first and committed in one step
/// (command_store::commit_decided). Only a guess: the store checks the version
/// at commit, and a stale entry (another process wrote meanwhile) costs one
/// retry on the state the store answers with. Entities' entries are not kept:
/// a command reads the entries it looks at.
///
/// Bounded in bytes (the root's JSON and its key, plus a fixed overhead per
/// entry); the least recently used entries are forgotten first. Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>

#include <once/application/records.hpp>

namespace once::application {

class aggregate_cache {
 public:
  /// Keeps at most about max_bytes; 0 keeps nothing.
  explicit aggregate_cache(std::size_t max_bytes);
  ~aggregate_cache();
  aggregate_cache(aggregate_cache const&) = delete;
  aggregate_cache& operator=(aggregate_cache const&) = delete;

  /// The aggregate as last remembered (its entities list empty), if it is.
  [[nodiscard]] std::optional<stored_aggregate> find(aggregate_ref const& ref);
  /// Remembers the aggregate as committed or read, unless a later version is remembered already.
  void remember(stored_aggregate const& aggregate);
  void forget(aggregate_ref const& ref);

  /// Whether, on a miss, a command of this type most likely targets an aggregate
  /// that does not exist yet (so deciding on "absent" saves reading it), judged
  /// from what the recent misses of its type found. True until told otherwise.
  [[nodiscard]] bool absent_is_likely(std::string_view command_type) const noexcept;
  /// What a miss found: the aggregate did not exist (or did).
  void learn_miss(std::string_view command_type, bool was_absent) noexcept;

  [[nodiscard]] std::size_t size() const;
  /// The bytes counted against the bound.
  [[nodiscard]] std::size_t bytes() const;

  /// What an entry is counted as, beside its strings: the list node, the index slot, the strings' headers.
  static constexpr std::size_t entry_overhead = 160;

 private:
  struct shard;
  std::unique_ptr<shard[]> shards_;
  /// Per command type (hashed; a collision only blends two types' history): the
  /// misses that found no aggregate minus those that found one, kept within ±miss_memory.
  static constexpr int miss_memory = 16;
  std::array<std::atomic<int>, 64> absent_scores_{};
};

}  // namespace once::application
