#include "commit_sharing.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

namespace once::postgres::detail {

commit_sharing::commit_sharing(std::size_t statements, std::size_t commits_per_statement)
    : statements_(std::max<std::size_t>(1, statements)),
      commits_per_statement_(std::max<std::size_t>(1, commits_per_statement)) {}

bool commit_sharing::may_go(commit const& candidate) const {
  return !running_intents_.contains(candidate.intent) && !running_aggregates_.contains(candidate.aggregate);
}

commit_sharing::batch commit_sharing::gather(std::shared_ptr<commit> const& leader, signals& to_wake) {
  ++running_;
  batch sent{leader};
  running_intents_.insert(leader->intent);
  running_aggregates_.insert(leader->aggregate);
  for (auto at = queued_.begin(); at != queued_.end() && sent.size() < commits_per_statement_;) {
    if (!may_go(**at)) {
      to_wake.push_back((*at)->signal);  // a twin or an aggregate of this statement: alone, now
    } else {
      running_intents_.insert((*at)->intent);
      running_aggregates_.insert((*at)->aggregate);
      sent.push_back(*at);
    }
    at = queued_.erase(at);
  }
  return sent;
}

commit_sharing::batch commit_sharing::enter(std::shared_ptr<commit> const& mine) {
  std::unique_lock lock(mutex_);
  if (!may_go(*mine)) return {};
  if (running_ < statements_) {
    signals to_wake;
    auto sent = gather(mine, to_wake);
    lock.unlock();
    for (auto const& signal : to_wake) signal->notify();
    return sent;
  }
  mine->signal = application::current_waiting().new_signal();
  queued_.push_back(mine);
  auto const signal = mine->signal;
  lock.unlock();
  // Woken once: to lead, to go alone, or because a statement sent it.
  // Statements are bounded (the store's watchdog), so the wait is too; it
  // never ends before the wake-up, since a leader may still be using this
  // commit. Waits of a minute each keep every waiting's timers within range.
  while (!signal->wait_until(application::wait_clock::now() + std::chrono::minutes{1})) {
  }
  lock.lock();
  if (mine->leads) return std::move(mine->batch);
  return {};
}

void commit_sharing::leave(batch const& sent) {
  signals to_wake;
  {
    std::lock_guard lock(mutex_);
    --running_;
    for (auto const& commit : sent) {
      running_intents_.erase(commit->intent);
      running_aggregates_.erase(commit->aggregate);
    }
    for (std::size_t i = 1; i < sent.size(); ++i) to_wake.push_back(sent[i]->signal);
    // The statement's place goes to the commit queued longest.
    while (running_ < statements_ && !queued_.empty()) {
      auto next = std::move(queued_.front());
      queued_.pop_front();
      if (!may_go(*next)) {
        to_wake.push_back(next->signal);  // its intent or aggregate still runs: alone
        continue;
      }
      next->batch = gather(next, to_wake);
      next->leads = true;
      to_wake.push_back(next->signal);
    }
  }
  for (auto const& signal : to_wake) signal->notify();
}

}  // namespace once::postgres::detail
