// A command store that forwards to a real one and counts the calls of each
// kind: how the tests see how many steps a command took through the port.
// recall is not forwarded (the port's default: nothing remembered), so every
// command goes through the calls counted here.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <once/application/command_store.hpp>

namespace once_tests {

class counting_store final : public once::application::command_store {
 public:
  explicit counting_store(once::application::command_store& inner) : inner_(&inner) {}

  std::atomic<int> claims{0};
  std::atomic<int> reads{0};
  std::atomic<int> decided_commits{0};
  std::atomic<int> finds{0};

  void reset() { claims = reads = decided_commits = finds = 0; }

  once::application::result<once::application::claim_result> claim(
      once::application::intent_claim const& claim, once::application::claim_waits const& waits) override {
    ++claims;
    return inner_->claim(claim, waits);
  }
  once::application::result<std::optional<once::application::stored_aggregate>> read(
      once::application::aggregate_ref const& ref) override {
    ++reads;
    return inner_->read(ref);
  }
  once::application::result<std::optional<std::string>> read_entity(once::application::aggregate_ref const& ref,
                                                                    std::string_view collection,
                                                                    std::string const& id) override {
    ++reads;
    return inner_->read_entity(ref, collection, id);
  }
  once::application::result<std::optional<once::application::intent_record>> find(
      once::domain::intent_key const& intent) override {
    ++finds;
    return inner_->find(intent);
  }
  once::application::result<once::application::decided_commit> commit_decided(
      once::application::intent_claim const& claim, once::application::command_effects effects,
      once::application::claim_waits const& waits) override {
    ++decided_commits;
    return inner_->commit_decided(claim, std::move(effects), waits);
  }

 private:
  once::application::command_store* inner_;
};

}  // namespace once_tests
