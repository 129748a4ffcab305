// Which decided commits share one statement and its transaction. At most a
// fixed number of shared statements run at once; a commit that arrives while
// they all run queues, and the next statement takes the queued commits (one
// per intent and aggregate). A commit on an intent or aggregate of a running
// statement goes alone at once instead: it would wait for that statement's
// lock anyway, and was decided on the version that statement is moving, so
// queueing would only make it wait twice; and a shared statement then never
// waits for a lock another of this process holds. No commit waits for
// company: one alone runs at once, by itself.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <once/application/waiting.hpp>

namespace once::postgres::detail {

class commit_sharing {
 public:
  // One command's commit as the queue sees it; the store derives its own with what it commits.
  struct commit {
    commit(std::string intent_key, std::string aggregate_key)
        : intent(std::move(intent_key)), aggregate(std::move(aggregate_key)) {}
    virtual ~commit() = default;
    std::string intent;     // equal for the same intent
    std::string aggregate;  // equal for the same aggregate
    // Under the queue's lock:
    std::shared_ptr<application::wake_signal> signal;
    bool leads = false;
    std::vector<std::shared_ptr<commit>> batch;  // what a leader sends, itself first
  };
  using batch = std::vector<std::shared_ptr<commit>>;

  commit_sharing(std::size_t statements, std::size_t commits_per_statement);

  // Waits (through the current waiting) until `mine` either leads a
  // statement, answering the commits it sends (`mine` first), or was sent by
  // another's statement, answering an empty batch. An empty batch at once
  // when `mine` is to go alone (its intent or aggregate is in a running statement).
  [[nodiscard]] batch enter(std::shared_ptr<commit> const& mine);
  // The statement of `sent` (as enter answered it) ended and its commits are
  // answered: wakes them and hands the statement's place to queued commits.
  void leave(batch const& sent);

 private:
  using signals = std::vector<std::shared_ptr<application::wake_signal>>;
  // Whether it touches no intent or aggregate of a running statement.
  [[nodiscard]] bool may_go(commit const& candidate) const;
  // A statement led by `leader`, with the queued commits that may go along;
  // those that may not are taken out of the queue to go alone (woken by the
  // caller, after the lock). Under the lock.
  [[nodiscard]] batch gather(std::shared_ptr<commit> const& leader, signals& to_wake);

  std::size_t statements_;
  std::size_t commits_per_statement_;
  std::mutex mutex_;
  std::size_t running_ = 0;
  std::deque<std::shared_ptr<commit>> queued_;  // oldest first
  std::set<std::string> running_intents_;
  std::set<std::string> running_aggregates_;
};

}  // namespace once::postgres::detail
