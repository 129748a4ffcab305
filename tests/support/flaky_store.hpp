// A command store that wraps a real one and fails on purpose: the next N
// commits answer a chosen error (after rolling back, as a database would), or
// the next claims fail, or reads of entities' entries fail, or the next
// one-step commits are answered that the aggregate moved. It proves what the
// dispatcher does with store errors and races.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <once/application/command_store.hpp>

namespace once_tests {

class flaky_store final : public once::application::command_store {
 public:
  explicit flaky_store(once::application::command_store& inner) : inner_(&inner) {}

  void fail_next_commits(int count, once::application::error_code code, bool after_commit = false) {
    failing_commits_ = count;
    commit_code_ = code;
    fail_after_commit_ = after_commit;
  }
  void fail_next_claims(int count) { failing_claims_ = count; }
  void fail_entity_reads(bool failing) { failing_entity_reads_ = failing; }
  // The next `count` one-step commits write nothing and answer that the
  // aggregate moved (to what it is), by another's commit or, with
  // `by_own_commit`, by one of this process the command waited for.
  void answer_next_decided_commits_moved(int count, bool by_own_commit) {
    moved_answers_ = count;
    moved_by_own_commit_ = by_own_commit;
  }

  once::application::result<once::application::claim_result> claim(
      once::application::intent_claim const& claim, once::application::claim_waits const& waits) override {
    if (failing_claims_ > 0) {
      --failing_claims_;
      return once::application::fail(once::application::error_code::unavailable, "injected: store unreachable");
    }
    auto claimed = inner_->claim(claim, waits);
    if (claimed && claimed->claim) claimed->claim = std::make_unique<flaky_claim>(*this, std::move(claimed->claim));
    return claimed;
  }
  once::application::result<std::optional<once::application::stored_aggregate>> read(
      once::application::aggregate_ref const& ref) override {
    return inner_->read(ref);
  }
  once::application::result<std::optional<std::string>> read_entity(once::application::aggregate_ref const& ref,
                                                                    std::string_view collection,
                                                                    std::string const& id) override {
    if (failing_entity_reads_) return entity_read_failure();
    return inner_->read_entity(ref, collection, id);
  }
  once::application::result<std::optional<once::application::intent_record>> find(
      once::domain::intent_key const& intent) override {
    return inner_->find(intent);
  }
  once::application::result<once::application::decided_commit> commit_decided(
      once::application::intent_claim const& claim, once::application::command_effects effects,
      once::application::claim_waits const& waits) override {
    if (moved_answers_ <= 0) return command_store::commit_decided(claim, std::move(effects), waits);
    --moved_answers_;
    auto current = inner_->read(claim.target);
    if (!current) return once::domain::unexpected{std::move(current).error()};
    return once::application::decided_commit{once::application::decided_commit::status::moved, std::nullopt,
                                             std::move(*current), moved_by_own_commit_};
  }

 private:
  class flaky_claim final : public once::application::claimed_intent {
   public:
    flaky_claim(flaky_store& owner, std::unique_ptr<once::application::claimed_intent> inner)
        : owner_(&owner), inner_(std::move(inner)) {}
    std::optional<once::application::stored_aggregate> const& current() const override { return inner_->current(); }
    once::application::result<std::optional<std::string>> entity(std::string_view collection,
                                                                 std::string const& id) override {
      if (owner_->failing_entity_reads_) return entity_read_failure();
      return inner_->entity(collection, id);
    }
    once::application::result<void> commit(once::application::command_effects effects) override {
      if (owner_->failing_commits_ <= 0) return inner_->commit(std::move(effects));
      --owner_->failing_commits_;
      if (owner_->fail_after_commit_) {
        // The commit happened but its acknowledgement was lost.
        if (auto committed = inner_->commit(std::move(effects)); !committed) return committed;
      } else {
        inner_.reset();  // roll back
      }
      return once::application::fail(owner_->commit_code_, "injected commit failure");
    }

   private:
    flaky_store* owner_;
    std::unique_ptr<once::application::claimed_intent> inner_;
  };

  static once::application::result<std::optional<std::string>> entity_read_failure() {
    return once::application::fail(once::application::error_code::unavailable, "injected: entries unreachable");
  }

  once::application::command_store* inner_;
  std::atomic<bool> failing_entity_reads_{false};
  std::atomic<int> failing_commits_{0};
  std::atomic<int> failing_claims_{0};
  std::atomic<int> moved_answers_{0};
  bool moved_by_own_commit_ = false;
  once::application::error_code commit_code_ = once::application::error_code::aborted;
  bool fail_after_commit_ = false;
};

}  // namespace once_tests
