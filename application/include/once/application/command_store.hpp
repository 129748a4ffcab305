/// \file
/// The port the dispatcher persists through. One command is one unit of work:
///
///   claim(intent)  -> repeat (the intent record exists)      -> answer from it
///                  -> in flight past the wait bound          -> in_flight_timeout
///                  -> claimed (+ the target aggregate, locked for this command)
///   decide in memory
///   commit(state + intent record + outbox)  -- atomically, or not at all
///
/// or, for a caller that already holds the aggregate as it last saw it, in one step:
///
///   decide in memory on that version (or on "absent")
///   commit_decided(claim, effects) -> committed | repeat | in flight
///                                  -> moved (the aggregate as it is now: decide again on it)
///
/// Contract every adapter must keep (tests/application/command_store_contract.hpp
/// states it once and runs it against each adapter):
/// - exactly one commit of an intent ever succeeds, whatever the number of
///   threads or processes; a commit that loses (its intent was committed
///   meanwhile, or its aggregate moved) fails with aborted and writes nothing;
/// - a serialising claim (intent_claim::serialise) is atomic in the store: of
///   simultaneous claims of one intent exactly one is claimed; the others wait
///   (bounded) for it and then see its record, or claim anew if it rolled back;
///   and it holds the aggregate until commit. A store may claim optimistically
///   when serialise is false (the memory store always serialises);
/// - a claimed_intent destroyed without commit rolls everything back and frees
///   the intent: a crash never leaves it "in progress";
/// - commit fails with error_code::aborted when the aggregate's version moved,
///   and with outcome_unknown when it cannot tell whether the commit happened;
/// - a record whose expires_at has passed is treated as absent by claim;
/// - an aggregate's entities are written only with its root (new_state), so
///   the root's version check covers them: an entry read before a commit that
///   changed it belongs to a version that commit moved;
/// - commit_decided writes the effects exactly when the intent is new and the
///   aggregate is at effects.expected_version (0: it does not exist), for
///   every decision, rejections and decisions without events included, and
///   otherwise writes nothing and answers what it found.
/// Implementations are thread-safe; a claimed_intent belongs to one thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <once/application/error.hpp>
#include <once/application/records.hpp>

namespace once::application {

/// An intent claimed for execution: an open transaction holding the claim and
/// the lock on the target aggregate. Destroying it without commit rolls back.
class claimed_intent {
 public:
  virtual ~claimed_intent() = default;
  /// The target aggregate as it is now, or none if it does not exist yet.
  [[nodiscard]] virtual std::optional<stored_aggregate> const& current() const = 0;
  /// An entry of the target's entities, as this claim sees it (JSON), or none.
  [[nodiscard]] virtual result<std::optional<std::string>> entity(std::string_view collection,
                                                                  std::string const& id) = 0;
  /// Writes the effects; the entries in new_state->entities replace (or add to) the stored ones.
  [[nodiscard]] virtual result<void> commit(command_effects effects) = 0;
};

struct claim_waits {
  std::chrono::milliseconds in_flight{5000};   // how long a duplicate waits for the first attempt
  std::chrono::milliseconds aggregate{10000};  // how long a command waits for its aggregate's lock
};

struct claim_result {
  enum class status { claimed, repeat, in_flight };
  status state = status::claimed;
  std::unique_ptr<claimed_intent> claim;  // when claimed
  std::optional<intent_record> existing;  // when repeat
  /// The intent was in flight when this claim arrived and the claim waited for it
  /// (stores that can tell; the dispatcher also infers it from a repeat found on a retry).
  bool waited_for_twin = false;
};

/// What commit_decided found: committed, or why not.
struct decided_commit {
  enum class status { committed, repeat, in_flight, moved };
  status state = status::committed;
  std::optional<intent_record> existing;    // when repeat
  std::optional<stored_aggregate> current;  // when moved: the aggregate as it is now, or none if it does not exist
  /// When moved: by a commit of this process that the command waited for. Deciding
  /// again on `current` is queueing behind that commit, not a race lost to another.
  bool moved_by_own_commit = false;
};

class command_store {
 public:
  virtual ~command_store() = default;
  [[nodiscard]] virtual result<claim_result> claim(intent_claim const& claim, claim_waits const& waits) = 0;
  /// The aggregate as last committed, without locking it.
  [[nodiscard]] virtual result<std::optional<stored_aggregate>> read(aggregate_ref const& ref) = 0;
  /// An entry of the aggregate's entities as last committed (JSON), without locking, or none.
  [[nodiscard]] virtual result<std::optional<std::string>> read_entity(aggregate_ref const& ref,
                                                                       std::string_view collection,
                                                                       std::string const& id) = 0;
  /// The intent record, if one exists and has not expired.
  [[nodiscard]] virtual result<std::optional<intent_record>> find(domain::intent_key const& intent) = 0;
  /// The intent's live record if this store holds it in memory (answered without
  /// a round trip), or none: asked before deciding a command to commit in one step.
  [[nodiscard]] virtual std::optional<intent_record> recall(intent_claim const& /*claim*/) { return std::nullopt; }
  /// Commits effects decided on the aggregate at effects.expected_version without
  /// a claim before: one step where the store can (PostgreSQL: one statement).
  /// This default claims and commits, so every store keeps the contract.
  [[nodiscard]] virtual result<decided_commit> commit_decided(intent_claim const& claim, command_effects effects,
                                                              claim_waits const& waits);
};

}  // namespace once::application
