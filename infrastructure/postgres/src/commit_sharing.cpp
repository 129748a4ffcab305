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

commit_sharing::batch commit_sharing::gather(std::shared_ptr<commit> const& leader) {
  ++running_;
  batch sent{leader};
  running_intents_.insert(leader->intent);
  running_aggregates_.insert(leader->aggregate);
  for (auto at = queued_.begin(); at != queued_.end() && sent.size() < commits_per_statement_;) {
    if (!may_go(**at)) {
      ++at;
      continue;
    }
    running_intents_.insert((*at)->intent);
    running_aggregates_.insert((*at)->aggregate);
    sent.push_back(std::move(*at));
    at = queued_.erase(at);
  }
  return sent;
}

commit_sharing::batch commit_sharing::enter(std::shared_ptr<commit> const& mine) {
  std::unique_lock lock(mutex_);
  if (running_ < statements_ && may_go(*mine)) return gather(mine);
  mine->signal = application::current_waiting().new_signal();
  queued_.push_back(mine);
  auto const signal = mine->signal;
  lock.unlock();
  // Woken once: to lead, or because a statement sent it. Statements are
  // bounded (the store's watchdog), so the wait is too; it never ends before
  // the wake-up, since a leader may still be using this commit. Waits of a
  // minute each keep every waiting's timers within range.
  while (!signal->wait_until(application::wait_clock::now() + std::chrono::minutes{1})) {
  }
  lock.lock();
  if (mine->leads) return std::move(mine->batch);
  return {};
}

void commit_sharing::leave(batch const& sent) {
  std::vector<std::shared_ptr<application::wake_signal>> to_wake;
  {
    std::lock_guard lock(mutex_);
    --running_;
    for (auto const& commit : sent) {
      running_intents_.erase(commit->intent);
      running_aggregates_.erase(commit->aggregate);
    }
    for (std::size_t i = 1; i < sent.size(); ++i) to_wake.push_back(sent[i]->signal);
    // The statement's place goes to the commit queued longest that may go.
    while (running_ < statements_) {
      auto next = std::find_if(queued_.begin(), queued_.end(), [&](auto const& queued) { return may_go(*queued); });
      if (next == queued_.end()) break;
      auto leader = std::move(*next);
      queued_.erase(next);
      leader->batch = gather(leader);
      leader->leads = true;
      to_wake.push_back(leader->signal);
    }
  }
  for (auto const& signal : to_wake) signal->notify();
}

}  // namespace once::postgres::detail
