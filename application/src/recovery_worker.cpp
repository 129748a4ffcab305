#include <once/application/recovery_worker.hpp>

#include <algorithm>
#include <utility>

namespace once::application {

recovery_worker::recovery_worker(external_step_store& steps, std::vector<step_recoverer*> recoverers,
                                 recovery_options options, clock const* wall_clock)
    : steps_(&steps),
      recoverers_(std::move(recoverers)),
      options_(std::move(options)),
      clock_(wall_clock != nullptr ? wall_clock : &detail::default_clock()) {
  if (options_.holder.empty()) options_.holder = detail::default_ids().next();
}

result<std::size_t> recovery_worker::run_round() {
  ++counters_.rounds;
  auto leading = steps_->lead(options_.lease_name, options_.holder, options_.leadership);
  if (!leading) return domain::unexpected{std::move(leading).error()};
  counters_.leader = *leading;
  if (!*leading) return std::size_t{0};
  auto taken = steps_->take_over(options_.holder, clock_->now(), options_.lease, options_.batch);
  if (!taken) return domain::unexpected{std::move(taken).error()};
  for (auto const& step : *taken) {
    auto recoverer = std::find_if(recoverers_.begin(), recoverers_.end(),
                                  [&](step_recoverer* each) { return each->recovers(step.command_type); });
    if (recoverer == recoverers_.end()) {
      // A step of a command this process does not know: left for a process that does, after the lease.
      if (options_.on_error) {
        options_.on_error(error{error_code::internal, "no dispatcher recovers " + step.command_type, {}});
      }
      continue;
    }
    auto recovered = (*recoverer)->recover(step);
    if (!recovered) {
      if (options_.on_error) options_.on_error(recovered.error());
      continue;  // the lease passes and the step is taken again
    }
    ++counters_.by_result[static_cast<std::size_t>(*recovered)];
    if (options_.on_recovered) options_.on_recovered(step, *recovered);
  }
  return taken->size();
}

void recovery_worker::run() {
  for (;;) {
    auto round = run_round();
    if (!round && options_.on_error) options_.on_error(round.error());
    bool const full = round && *round >= options_.batch;
    std::unique_lock lock(mutex_);
    if (!full) wake_.wait_for(lock, options_.interval, [this] { return stopping_; });
    if (stopping_) return;
  }
}

void recovery_worker::stop() noexcept {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
}

}  // namespace once::application
