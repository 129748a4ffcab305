// Which decided commits share one statement and its transaction. A bounded
// number of statements run at once; a commit that arrives while they all run
// queues, and the next statement takes the queued commits (one per intent and
// aggregate). The bound is larger while every running statement carries a
// single commit (a light load: commits go at once, each in a statement of its
// own) than once one carries several (commits queue: fewer, fuller
// statements spend less of the server per commit). A commit on the aggregate
// of a running statement follows that statement's commit on it: it waits for
// the statement to end, and its caller learns whether the aggregate moved
// from under its decision (then it decides again on what that commit left,
// without a statement of its own; sent at once, it would wait for the
// statement's lock and be answered that the aggregate moved). A twin of an
// intent in a running statement goes alone at once, to wait for the intent's
// lock in the server as twins do. So a shared statement never waits for a
// lock another of this process holds. No commit waits for company: one alone
// runs at once.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
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
    std::vector<std::shared_ptr<commit>> batch;      // what a leader sends, itself first
    std::vector<std::shared_ptr<commit>> followers;  // waiting for this commit's statement to end
    // Set by enter when this commit waited for the end of `followed`, the
    // running statement's commit on its aggregate; its caller reads what
    // `followed` left and, unless it decides again, enters once more.
    std::shared_ptr<commit> followed;
  };
  using batch = std::vector<std::shared_ptr<commit>>;

  // How many statements may run at once.
  struct statement_places {
    std::size_t while_alone;   // while each running statement carries a single commit
    std::size_t while_shared;  // once one carries several: commits are queuing
  };

  commit_sharing(statement_places places, std::size_t commits_per_statement);

  // Waits (through the current waiting) until `mine` either leads a
  // statement, answering the commits it sends (`mine` first); or was sent by
  // another's statement, or followed a running commit on its aggregate until
  // that commit's statement ended (`mine->followed` set), answering an empty
  // batch. An empty batch at once when `mine` is to go alone (a twin of its
  // intent is in a running statement).
  [[nodiscard]] batch enter(std::shared_ptr<commit> const& mine);
  // The statement of `sent` (as enter answered it) ended and its commits are
  // answered: wakes them and their followers, and hands the statement's place
  // to queued commits.
  void leave(batch const& sent);

 private:
  using signals = std::vector<std::shared_ptr<application::wake_signal>>;
  // How many statements may run now. Under the lock.
  [[nodiscard]] std::size_t places() const;
  // Whether it touches no intent or aggregate of a running statement.
  [[nodiscard]] bool may_go(commit const& candidate) const;
  // A commit that may not go: it follows the running commit on its aggregate,
  // or, a twin of a running intent, is to go alone (its signal into `to_wake`,
  // for the caller to wake after the lock). Under the lock.
  void hold_back(std::shared_ptr<commit> const& held, signals& to_wake);
  // A statement led by `leader`, with the queued commits that may go along;
  // those that may not are taken out of the queue and held back. Under the lock.
  [[nodiscard]] batch gather(std::shared_ptr<commit> const& leader, signals& to_wake);

  statement_places places_;
  std::size_t commits_per_statement_;
  std::mutex mutex_;
  std::size_t running_ = 0;
  std::size_t carrying_several_ = 0;            // running statements with more than one commit
  std::deque<std::shared_ptr<commit>> queued_;  // oldest first
  std::set<std::string> running_intents_;
  std::map<std::string, std::shared_ptr<commit>> running_aggregates_;  // the running commit on each
};

}  // namespace once::postgres::detail
