#include "commit_sharing.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

namespace once::postgres::detail {
namespace {

// Waits for the one wake-up a queued or following commit gets. Statements are
// bounded (the store's watchdog), so the wait is too; it never ends before
// the wake-up, since a leader may still be using the commit. Waits of a minute
// each keep every waiting's timers within range.
void wait_for(application::wake_signal& signal) {
  while (!signal.wait_until(application::wait_clock::now() + std::chrono::minutes{1})) {
  }
}

}  // namespace

commit_sharing::commit_sharing(statement_places places, std::size_t commits_per_statement)
    : places_{std::max({std::size_t{1}, places.while_shared, places.while_alone}),
              std::max<std::size_t>(1, places.while_shared)},
      commits_per_statement_(std::max<std::size_t>(1, commits_per_statement)) {}

std::size_t commit_sharing::places() const {
  return carrying_several_ > 0 ? places_.while_shared : places_.while_alone;
}

bool commit_sharing::may_go(commit const& candidate) const {
  return !running_intents_.contains(candidate.intent) && !running_aggregates_.contains(candidate.aggregate);
}

void commit_sharing::hold_back(std::shared_ptr<commit> const& held, signals& to_wake) {
  if (running_intents_.contains(held->intent)) {
    to_wake.push_back(held->signal);  // a twin: alone, now
    return;
  }
  auto const& running = running_aggregates_.at(held->aggregate);
  held->followed = running;
  running->followers.push_back(held);
}

commit_sharing::batch commit_sharing::gather(std::shared_ptr<commit> const& leader, signals& to_wake) {
  ++running_;
  batch sent{leader};
  running_intents_.insert(leader->intent);
  running_aggregates_.emplace(leader->aggregate, leader);
  for (auto at = queued_.begin(); at != queued_.end() && sent.size() < commits_per_statement_;) {
    if (!may_go(**at)) {
      hold_back(*at, to_wake);
    } else {
      running_intents_.insert((*at)->intent);
      running_aggregates_.emplace((*at)->aggregate, *at);
      sent.push_back(*at);
    }
    at = queued_.erase(at);
  }
  if (sent.size() > 1) ++carrying_several_;
  return sent;
}

commit_sharing::batch commit_sharing::enter(std::shared_ptr<commit> const& mine) {
  std::unique_lock lock(mutex_);
  mine->leads = false;
  mine->batch.clear();
  mine->followed.reset();
  if (running_intents_.contains(mine->intent)) return {};
  if (!may_go(*mine)) {
    mine->signal = application::current_waiting().new_signal();
    signals none;
    hold_back(mine, none);
  } else if (running_ < places()) {
    signals to_wake;
    auto sent = gather(mine, to_wake);
    lock.unlock();
    for (auto const& signal : to_wake) signal->notify();
    return sent;
  } else {
    mine->signal = application::current_waiting().new_signal();
    queued_.push_back(mine);
  }
  auto const signal = mine->signal;
  lock.unlock();
  wait_for(*signal);  // to lead, to go alone, because a statement sent it, or its followed commit's ended
  lock.lock();
  if (mine->leads) return std::move(mine->batch);
  return {};
}

void commit_sharing::leave(batch const& sent) {
  signals to_wake;
  {
    std::lock_guard lock(mutex_);
    --running_;
    if (sent.size() > 1) --carrying_several_;
    for (auto const& commit : sent) {
      running_intents_.erase(commit->intent);
      running_aggregates_.erase(commit->aggregate);
      for (auto const& follower : commit->followers) to_wake.push_back(follower->signal);
      commit->followers.clear();  // each follower holds what it followed until it has read it
    }
    for (std::size_t i = 1; i < sent.size(); ++i) to_wake.push_back(sent[i]->signal);
    // The statement's place goes to the commit queued longest.
    while (running_ < places() && !queued_.empty()) {
      auto next = std::move(queued_.front());
      queued_.pop_front();
      if (!may_go(*next)) {
        hold_back(next, to_wake);
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
