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

  /// Whether a command of this type is most likely a repeat (so looking its
  /// intent up costs less than deciding it and sending the commit), judged from
  /// the recent commands of its type. False until told otherwise.
  [[nodiscard]] bool repeat_is_likely(std::string_view command_type) const noexcept;
  /// What the store answered a command of this type: a repeat (or not).
  void learn_answer(std::string_view command_type, bool was_repeat) noexcept;

  [[nodiscard]] std::size_t size() const;
  /// The bytes counted against the bound.
  [[nodiscard]] std::size_t bytes() const;

  /// What an entry is counted as, beside its strings: the list node, the index slot, the strings' headers.
  static constexpr std::size_t entry_overhead = 160;

 private:
  struct shard;
  std::unique_ptr<shard[]> shards_;

  /// Per command type (hashed; a collision only blends two types' history): the
  /// times something held minus the times it did not, kept within ±memory so
  /// that a change of workload is learnt within `memory` commands.
  class type_scores {
   public:
    [[nodiscard]] int of(std::string_view command_type) const noexcept;
    void learn(std::string_view command_type, bool held) noexcept;

   private:
    static constexpr int memory = 16;
    std::array<std::atomic<int>, 64> scores_{};
  };
  type_scores misses_found_absent_;
  type_scores answers_were_repeats_;
};

}  // namespace once::application
