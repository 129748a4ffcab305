#include <once/kafka/inbox_consumer.hpp>

#include <algorithm>
#include <thread>
#include <utility>

#include <librdkafka/rdkafkacpp.h>

namespace once::kafka {
namespace {

using application::error_code;
using application::fail;
using application::result;

constexpr std::chrono::milliseconds first_backoff{100};
constexpr std::chrono::milliseconds last_backoff{5000};
// How long an offset commit is retried while the group's coordinator is away.
constexpr std::chrono::milliseconds commit_patience{5000};

// Errors after which the same commit can succeed without this consumer polling.
bool coordinator_away(RdKafka::ErrorCode error) {
  switch (error) {
    case RdKafka::ERR__TRANSPORT:
    case RdKafka::ERR__TIMED_OUT:
    case RdKafka::ERR__ALL_BROKERS_DOWN:
    case RdKafka::ERR__WAIT_COORD:
    case RdKafka::ERR_REQUEST_TIMED_OUT:
    case RdKafka::ERR_COORDINATOR_NOT_AVAILABLE:
    case RdKafka::ERR_NOT_COORDINATOR:
    case RdKafka::ERR_COORDINATOR_LOAD_IN_PROGRESS:
      return true;
    default:
      return false;
  }
}

result<void> apply_settings(RdKafka::Conf& conf, std::map<std::string, std::string> const& settings) {
  std::string problem;
  for (auto const& [name, value] : settings) {
    if (conf.set(name, value, problem) != RdKafka::Conf::CONF_OK) {
      return fail(error_code::invalid_argument, "Kafka setting " + name + ": " + problem);
    }
  }
  return {};
}

inbox_message message_of(RdKafka::Message const& raw) {
  inbox_message message;
  message.topic = raw.topic_name();
  message.partition = raw.partition();
  message.offset = raw.offset();
  if (raw.key() != nullptr) message.key = *raw.key();
  if (raw.payload() != nullptr) message.value.assign(static_cast<char const*>(raw.payload()), raw.len());
  if (auto* headers = const_cast<RdKafka::Message&>(raw).headers()) {
    for (auto const& header : headers->get_all()) {
      message.headers.emplace_back(header.key(),
                                   header.value() == nullptr
                                       ? std::string{}
                                       : std::string{static_cast<char const*>(header.value()), header.value_size()});
    }
  }
  return message;
}

}  // namespace

std::optional<std::string> inbox_message::header(std::string const& name) const {
  for (auto const& [header_name, value] : headers) {
    if (header_name == name) return value;
  }
  return std::nullopt;
}

domain::envelope inbox_message::envelope_for(std::string const& consumer) const {
  domain::envelope env;
  auto const event_id = header("event-id").value_or("");
  env.tenant = header("tenant").value_or("");
  env.principal = "consumer:" + consumer;
  env.client_key = event_id;
  env.causation_id = event_id;
  env.correlation_id = header("correlation-id").value_or("");
  env.trace_parent = header("traceparent").value_or("");
  env.received_at = std::chrono::system_clock::now();
  env.receipt = domain::message_receipt{consumer, event_id};
  return env;
}

struct inbox_consumer::state {
  application::inbox_store* inbox = nullptr;
  inbox_options options;
  inbox_counters counters;
  std::map<std::string, message_handler> handlers;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer;
  std::unique_ptr<RdKafka::Producer> dead_letters;
  std::atomic<bool> stopping{false};
  bool closed = false;

  void tell(std::string_view event, inbox_message const& message, std::string_view detail) const {
    if (options.on_event) options.on_event(event, message, detail);
  }

  // Repeats `step` until it succeeds or the consumer stops; false when stopped first.
  template <class Step>
  bool until_done(Step const& step) {
    auto backoff = first_backoff;
    while (!stopping) {
      if (step()) return true;
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, last_backoff);
    }
    return false;
  }

  // Commits the message's offset (the next one to read). A commit that fails
  // loses nothing: the message's effects and receipt are committed, so a
  // redelivery is skipped as a copy. It is retried only while the coordinator
  // is briefly away, and then not for long: a thread that retries does not
  // poll, and a consumer that does not poll cannot rejoin its group, so a
  // commit refused because the group moved on would be refused for ever.
  void commit(RdKafka::Message& raw, inbox_message const& message) {
    if (stopping) return;  // as a consumer that died before its commit: the copy is skipped by its receipt
    auto backoff = first_backoff;
    auto const until = std::chrono::steady_clock::now() + commit_patience;
    for (;;) {
      auto const error = consumer->commitSync(&raw);
      if (error == RdKafka::ERR_NO_ERROR) return;
      if (stopping || !coordinator_away(error) || std::chrono::steady_clock::now() + backoff > until) {
        ++counters.uncommitted;
        tell("offset_not_committed", message, RdKafka::err2str(error));
        return;
      }
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, last_backoff);
    }
  }

  // Copies the message to <topic>.dlq with the reason, records it, and lets its partition move on.
  bool dead_letter(inbox_message const& message, std::string const& reason, int attempts) {
    bool const sent = until_done([&] {
      auto* headers = RdKafka::Headers::create();
      for (auto const& [name, value] : message.headers) headers->add(name, value);
      headers->add("error", reason);
      headers->add("original-topic", message.topic);
      headers->add("original-partition", std::to_string(message.partition));
      headers->add("original-offset", std::to_string(message.offset));
      auto const queued =
          dead_letters->produce(message.topic + ".dlq", RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                                const_cast<char*>(message.value.data()), message.value.size(), message.key.data(),
                                message.key.size(), 0, headers, nullptr);
      if (queued != RdKafka::ERR_NO_ERROR) {
        delete headers;
        return false;
      }
      return dead_letters->flush(10000) == RdKafka::ERR_NO_ERROR;
    });
    if (!sent) return false;
    application::dead_letter letter{options.group,
                                    message.topic,
                                    message.partition,
                                    message.offset,
                                    message.header("event-id").value_or(""),
                                    message.header("event-type").value_or(""),
                                    reason,
                                    attempts};
    if (!until_done([&] { return inbox->record_dead_letter(letter).has_value(); })) return false;
    ++counters.dead_lettered;
    tell("dead_lettered", message, reason);
    return true;
  }

  // One message, start to finish; its offset is committed only when it is done.
  void handle(RdKafka::Message& raw) {
    auto const message = message_of(raw);
    auto const event_id = message.header("event-id");
    if (!event_id.has_value() || event_id->empty()) {
      if (dead_letter(message, "the message has no event-id header", 1)) commit(raw, message);
      return;
    }
    auto const type = message.header("event-type").value_or("");
    auto const handler = handlers.find(type);
    if (handler == handlers.end()) {
      ++counters.ignored;
      commit(raw, message);
      return;
    }
    domain::message_receipt const receipt{options.group, *event_id};
    bool known = false;
    if (!until_done([&] {
          auto const found = inbox->has_received(receipt);
          if (found) known = *found;
          return found.has_value();
        })) {
      return;
    }
    if (known) {
      ++counters.duplicates;
      tell("duplicate", message, {});
      commit(raw, message);
      return;
    }
    int attempts = 0;
    auto backoff = first_backoff;
    while (!stopping) {
      handling outcome;
      try {
        outcome = handler->second(message);
      } catch (std::exception const&) {
        outcome = handling::failed("the handler threw an exception");
      }
      switch (outcome.outcome) {
        case handling::verdict::handled:
          if (!outcome.new_effects && !until_done([&] { return inbox->record_receipt(receipt).has_value(); })) {
            return;
          }
          ++counters.handled;
          tell("handled", message, {});
          commit(raw, message);
          return;
        case handling::verdict::undecodable:
          if (dead_letter(message, outcome.reason, attempts + 1)) commit(raw, message);
          return;
        case handling::verdict::failed:
          if (++attempts >= options.max_attempts) {
            if (dead_letter(message, outcome.reason, attempts)) commit(raw, message);
            return;
          }
          break;
        case handling::verdict::retry:
          tell("retrying", message, outcome.reason);
          break;
      }
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, last_backoff);
    }
  }
};

inbox_consumer::inbox_consumer(application::inbox_store& inbox, inbox_options options)
    : state_(std::make_unique<state>()) {
  state_->inbox = &inbox;
  state_->options = std::move(options);
}

inbox_consumer::~inbox_consumer() {
  close();
}

result<std::unique_ptr<inbox_consumer>> inbox_consumer::open(application::inbox_store& inbox, inbox_options options) {
  if (options.brokers.empty()) return fail(error_code::invalid_argument, "the consumer needs --brokers");
  if (options.group.empty()) return fail(error_code::invalid_argument, "the consumer needs a group");
  if (options.topics.empty()) return fail(error_code::invalid_argument, "the consumer needs a topic");
  if (options.max_attempts < 1) return fail(error_code::invalid_argument, "max attempts is at least 1");
  std::unique_ptr<inbox_consumer> opened{new inbox_consumer(inbox, std::move(options))};
  auto& s = *opened->state_;
  std::map<std::string, std::string> settings{
      {"bootstrap.servers", s.options.brokers},
      {"group.id", s.options.group},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", "earliest"},  // a new group reads from the beginning
      {"session.timeout.ms", std::to_string(s.options.session_timeout.count())},
      {"heartbeat.interval.ms", std::to_string(std::max<std::int64_t>(100, s.options.session_timeout.count() / 3))},
      {"client.id", "once-inbox"},
      {"socket.nagle.disable", "true"},  // small requests are sent at once, not held for a delayed ACK
  };
  for (auto const& [name, value] : s.options.consumer_settings) settings[name] = value;
  std::unique_ptr<RdKafka::Conf> conf{RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL)};
  if (auto applied = apply_settings(*conf, settings); !applied) return domain::unexpected{applied.error()};
  std::string problem;
  s.consumer.reset(RdKafka::KafkaConsumer::create(conf.get(), problem));
  if (!s.consumer) return fail(error_code::invalid_argument, "the Kafka consumer could not be created: " + problem);

  std::map<std::string, std::string> producer_settings{{"bootstrap.servers", s.options.brokers},
                                                       {"enable.idempotence", "true"},
                                                       {"acks", "all"},
                                                       {"client.id", "once-dead-letters"}};
  if (auto found = s.options.consumer_settings.find("log_level"); found != s.options.consumer_settings.end()) {
    producer_settings["log_level"] = found->second;
  }
  std::unique_ptr<RdKafka::Conf> producer_conf{RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL)};
  if (auto applied = apply_settings(*producer_conf, producer_settings); !applied) {
    return domain::unexpected{applied.error()};
  }
  s.dead_letters.reset(RdKafka::Producer::create(producer_conf.get(), problem));
  if (!s.dead_letters) return fail(error_code::invalid_argument, "the dead-letter producer: " + problem);
  if (s.consumer->subscribe(s.options.topics) != RdKafka::ERR_NO_ERROR) {
    return fail(error_code::invalid_argument, "subscribing to the topics failed");
  }
  return opened;
}

void inbox_consumer::on(std::string event_type, message_handler handler) {
  state_->handlers[std::move(event_type)] = std::move(handler);
}

void inbox_consumer::poll(std::chrono::milliseconds wait, std::size_t limit) {
  auto& s = *state_;
  auto const until = std::chrono::steady_clock::now() + wait;
  for (std::size_t handled = 0; handled < limit && !s.stopping && std::chrono::steady_clock::now() < until;) {
    std::unique_ptr<RdKafka::Message> raw{s.consumer->consume(100)};
    if (raw->err() != RdKafka::ERR_NO_ERROR) continue;  // nothing yet, a partition's end, or brokers away
    s.handle(*raw);
    ++handled;
  }
}

void inbox_consumer::run() {
  while (!state_->stopping) poll(std::chrono::milliseconds{500});
  close();
}

void inbox_consumer::stop() noexcept {
  state_->stopping = true;
}

void inbox_consumer::close() {
  auto& s = *state_;
  if (s.closed || !s.consumer) return;
  s.closed = true;
  (void)s.consumer->close();  // leaves the group now: its partitions go to another member at once
}

inbox_counters const& inbox_consumer::counters() const noexcept {
  return state_->counters;
}

}  // namespace once::kafka
