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

#include <cstddef>
#include <memory>
#include <optional>

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

  [[nodiscard]] std::size_t size() const;
  /// The bytes counted against the bound.
  [[nodiscard]] std::size_t bytes() const;

  /// What an entry is counted as, beside its strings: the list node, the index slot, the strings' headers.
  static constexpr std::size_t entry_overhead = 160;

 private:
  struct shard;
  std::unique_ptr<shard[]> shards_;
};

}  // namespace once::application
