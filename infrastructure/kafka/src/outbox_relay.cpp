#include <once/kafka/outbox_relay.hpp>

#include <unistd.h>

#include <algorithm>
#include <optional>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include <librdkafka/rdkafkacpp.h>

namespace once::kafka {
namespace {

using application::error_code;
using application::fail;
using application::result;

enum class delivery : int { pending, acknowledged, failed };

// librdkafka calls this from poll() with each message's outcome; the opaque
// points at that row's slot in the round.
class delivery_reports final : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    auto* slot = static_cast<delivery*>(message.msg_opaque());
    if (slot != nullptr) {
      *slot = message.err() == RdKafka::ERR_NO_ERROR ? delivery::acknowledged : delivery::failed;
    }
  }
};

std::string default_holder() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string{host} + ":" + std::to_string(::getpid());
}

// The Kafka headers of a row: the contract's names first, then the row's own.
RdKafka::Headers* headers_of(application::outbox_message const& message) {
  auto* headers = RdKafka::Headers::create();
  auto const tenant = message.header("once-tenant").value_or(message.source.tenant);
  headers->add("event-id", message.message_id);
  headers->add("event-type", message.event_type);
  headers->add("intent-id", std::string{tenant} + ':' + std::string{message.header("once-intent-scope").value_or("")} +
                                ':' + std::string{message.header("once-intent-key").value_or("")});
  headers->add("tenant", std::string{tenant});
  for (auto const& [name, value] : message.headers) headers->add(name, value);
  return headers;
}

}  // namespace

struct outbox_relay::state {
  application::outbox_source* outbox;
  relay_options options;
  relay_counters counters;
  delivery_reports reports;
  std::unique_ptr<RdKafka::Producer> producer;
  std::atomic<bool> stopping{false};
  // The lease as last taken, and when to renew it: a third of the way into
  // its time to live, so a round does not write to renew it every time.
  std::optional<application::relay_lease> lease;
  std::chrono::steady_clock::time_point renew_at{};
};

outbox_relay::outbox_relay(application::outbox_source& outbox, relay_options options)
    : state_(std::make_unique<state>()) {
  state_->outbox = &outbox;
  state_->options = std::move(options);
  if (state_->options.holder.empty()) state_->options.holder = default_holder();
}

outbox_relay::~outbox_relay() {
  if (state_->producer) (void)state_->producer->flush(1000);
}

result<std::unique_ptr<outbox_relay>> outbox_relay::open(application::outbox_source& outbox, relay_options options) {
  if (options.brokers.empty()) return fail(error_code::invalid_argument, "the relay needs --brokers");
  if (options.delivery_timeout >= options.lease_ttl) {
    return fail(error_code::invalid_argument, "the delivery timeout must be shorter than the lease");
  }
  std::unique_ptr<outbox_relay> relay{new outbox_relay(outbox, std::move(options))};
  auto& s = *relay->state_;
  std::unique_ptr<RdKafka::Conf> conf{RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL)};
  std::map<std::string, std::string> settings{
      {"bootstrap.servers", s.options.brokers},
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"linger.ms", "1"},
      {"message.timeout.ms", std::to_string(s.options.delivery_timeout.count())},
      {"client.id", "once-relay"},
      {"socket.nagle.disable", "true"},  // a round's requests are batched by linger.ms already
  };
  for (auto const& [name, value] : s.options.producer_settings) settings[name] = value;
  std::string problem;
  for (auto const& [name, value] : settings) {
    if (conf->set(name, value, problem) != RdKafka::Conf::CONF_OK) {
      return fail(error_code::invalid_argument, "producer setting " + name + ": " + problem);
    }
  }
  if (conf->set("dr_cb", &s.reports, problem) != RdKafka::Conf::CONF_OK) {
    return fail(error_code::internal, "delivery reports: " + problem);
  }
  s.producer.reset(RdKafka::Producer::create(conf.get(), problem));
  if (!s.producer) return fail(error_code::invalid_argument, "the Kafka producer could not be created: " + problem);
  return relay;
}

result<std::size_t> outbox_relay::run_round() {
  auto& s = *state_;
  ++s.counters.rounds;
  auto const now = std::chrono::steady_clock::now();
  if (!s.lease.has_value() || now >= s.renew_at) {
    auto taken = s.outbox->take_lease(s.options.holder, s.options.lease_ttl);
    if (!taken) return domain::unexpected{std::move(taken).error()};
    s.lease = *taken;
    s.renew_at = now + s.options.lease_ttl / 3;
  }
  s.counters.leader = s.lease.has_value();
  if (!s.lease.has_value()) return std::size_t{0};
  auto const lease = s.lease;
  auto rows = s.outbox->unpublished(s.options.batch_size);
  if (!rows) return domain::unexpected{std::move(rows).error()};
  if (rows->empty()) return std::size_t{0};

  std::vector<delivery> outcomes(rows->size(), delivery::pending);
  auto const deadline = std::chrono::steady_clock::now() + s.options.delivery_timeout + std::chrono::seconds{2};
  for (std::size_t i = 0; i < rows->size(); ++i) {
    auto const& message = (*rows)[i].message;
    auto const timestamp =
        std::chrono::duration_cast<std::chrono::milliseconds>(message.created_at.time_since_epoch()).count();
    for (;;) {
      auto* headers = headers_of(message);
      auto const queued =
          s.producer->produce(message.topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                              const_cast<char*>(message.payload.data()), message.payload.size(), message.key.data(),
                              message.key.size(), timestamp, headers, &outcomes[i]);
      if (queued == RdKafka::ERR_NO_ERROR) break;  // the headers are librdkafka's now
      delete headers;
      if (queued != RdKafka::ERR__QUEUE_FULL || std::chrono::steady_clock::now() > deadline) {
        outcomes[i] = delivery::failed;
        break;
      }
      s.producer->poll(50);  // the queue drains as acknowledgements arrive
    }
  }
  auto const settled = [&] {
    return std::none_of(outcomes.begin(), outcomes.end(), [](delivery d) { return d == delivery::pending; });
  };
  while (!settled() && std::chrono::steady_clock::now() < deadline) s.producer->poll(20);
  if (!settled()) {
    // Not reported in time (librdkafka's own timeout is shorter): wait for the reports before the slots go away.
    (void)s.producer->flush(static_cast<int>(s.options.delivery_timeout.count()));
    for (auto& outcome : outcomes) {
      if (outcome == delivery::pending) outcome = delivery::failed;
    }
  }

  // A row is marked only when every earlier row of its aggregate in this round was acknowledged.
  std::vector<std::int64_t> acknowledged;
  std::unordered_set<std::string> blocked;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    auto const& row = (*rows)[i];
    auto const aggregate =
        row.message.source.tenant + '\x1f' + row.message.source.type + '\x1f' + row.message.source.id;
    if (outcomes[i] != delivery::acknowledged) {
      ++s.counters.publish_failures;
      blocked.insert(aggregate);
      continue;
    }
    if (!blocked.contains(aggregate)) acknowledged.push_back(row.id);
  }
  auto marked = s.outbox->mark_published(*lease, acknowledged);
  if (!marked) return domain::unexpected{std::move(marked).error()};
  if (!*marked) {  // another relay took the lease meanwhile: nothing was marked
    s.lease.reset();
    s.counters.leader = false;
    return std::size_t{0};
  }
  s.counters.published += static_cast<std::int64_t>(acknowledged.size());
  if (acknowledged.size() < rows->size()) {
    return fail(error_code::unavailable, std::to_string(rows->size() - acknowledged.size()) +
                                             " outbox rows were not acknowledged by the brokers; retried next round");
  }
  return acknowledged.size();
}

void outbox_relay::run() {
  auto& s = *state_;
  auto backoff = std::chrono::milliseconds{100};
  while (!s.stopping) {
    auto round = run_round();
    if (!round) {
      if (s.options.on_error) s.options.on_error(round.error());
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, s.options.max_backoff);
      continue;
    }
    backoff = std::chrono::milliseconds{100};
    if (!s.lease.has_value()) {
      // A standby cannot publish: it asks for the lease again later, and
      // stays out of the waiting relays that every outbox insert notifies.
      std::this_thread::sleep_for(s.options.poll_interval);
    } else if (*round < s.options.batch_size) {
      s.outbox->wait_for_rows(s.options.poll_interval);
    }
  }
}

void outbox_relay::stop() noexcept {
  state_->stopping = true;
}

relay_counters const& outbox_relay::counters() const noexcept {
  return state_->counters;
}

}  // namespace once::kafka
