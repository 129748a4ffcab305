// A command store plus what tests need to look inside it. Each adapter's
// tests provide a factory: `std::unique_ptr<store_under_test> make(clock const&)`.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include <once/application/clock.hpp>
#include <once/application/command_store.hpp>
#include <once/memory/memory_command_store.hpp>

namespace once_tests {

class store_under_test {
 public:
  virtual ~store_under_test() = default;
  virtual once::application::command_store& store() = 0;
  virtual std::size_t intent_count() = 0;
  virtual std::vector<once::application::outbox_message> outbox() = 0;
  std::size_t outbox_size() { return outbox().size(); }
};

class memory_under_test final : public store_under_test {
 public:
  explicit memory_under_test(once::application::clock const& clock) : store_(clock) {}
  once::application::command_store& store() override { return store_; }
  std::size_t intent_count() override { return store_.intent_count(); }
  std::vector<once::application::outbox_message> outbox() override { return store_.outbox(); }

 private:
  once::memory::memory_command_store store_;
};

struct memory_store_factory {
  std::unique_ptr<store_under_test> make(once::application::clock const& clock) {
    return std::make_unique<memory_under_test>(clock);
  }
};

}  // namespace once_tests
