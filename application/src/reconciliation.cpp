#include <once/application/reconciliation.hpp>

#include <map>
#include <set>
#include <utility>

#include <once/domain/canonical_json.hpp>

namespace once::application {
namespace {

bool inside(time_point at, reconciliation_window const& window) {
  return at >= window.from && at < window.to;
}

std::string side_json(reconciled_record const& record) {
  auto const id = record.intent.has_value() ? domain::to_string(*record.intent) : record.id;
  return R"({"id":)" + domain::canonical_json(id) + R"(,"amount":)" + std::to_string(record.amount) + R"(,"account":)" +
         domain::canonical_json(record.account) + "}";
}

exception_entry ours_entry(reconciled_record const& mine, std::string reason, std::string evidence) {
  return exception_entry{mine.intent ? mine.intent->tenant : std::string{}, std::move(reason), std::move(evidence),
                         mine.intent, mine.reference};
}

}  // namespace

std::string_view to_string(reconciliation_kind kind) noexcept {
  switch (kind) {
    case reconciliation_kind::matched:
      return "matched";
    case reconciliation_kind::mismatched:
      return "mismatched";
    case reconciliation_kind::missing_theirs:
      return "missing_theirs";
    case reconciliation_kind::missing_ours:
      return "missing_ours";
    case reconciliation_kind::unresolved:
      return "unresolved";
  }
  return "matched";
}

reconciliation_report compare(std::vector<reconciled_record> const& ours, std::vector<reconciled_record> const& theirs,
                              reconciliation_window const& window) {
  reconciliation_report report;
  auto const add = [&report](reconciliation_kind kind) { ++report.counts[static_cast<std::size_t>(kind)]; };
  std::map<std::string, std::vector<reconciled_record const*>> their_records;
  for (auto const& record : theirs) their_records[record.reference].push_back(&record);
  std::set<std::string> our_references;
  for (auto const& record : ours) our_references.insert(record.reference);

  for (auto const& mine : ours) {
    if (!inside(mine.at, window)) continue;  // read for matching only
    auto const found = their_records.find(mine.reference);
    auto const held = found == their_records.end() ? std::size_t{0} : found->second.size();
    auto const evidence_of_theirs = [&] {
      std::string list = "[";
      if (found != their_records.end()) {
        for (auto const* each : found->second) list += (list.size() > 1 ? "," : "") + side_json(*each);
      }
      return list + "]";
    };
    std::string const evidence = R"({"reference":)" + domain::canonical_json(mine.reference) + R"(,"ours":)" +
                                 side_json(mine) + R"(,"theirs":)" + evidence_of_theirs() + "}";
    if (!mine.settled) {
      add(reconciliation_kind::unresolved);
      report.exceptions.push_back(ours_entry(mine, "unresolved", evidence));
    } else if (held == 0) {
      add(reconciliation_kind::missing_theirs);
      report.exceptions.push_back(ours_entry(mine, "missing_on_their_side", evidence));
    } else if (held > 1 || found->second.front()->amount != mine.amount ||
               found->second.front()->account != mine.account) {
      add(reconciliation_kind::mismatched);
      report.exceptions.push_back(ours_entry(mine, held > 1 ? "double_booking" : "mismatch", evidence));
    } else {
      add(reconciliation_kind::matched);
    }
  }
  for (auto const& their : theirs) {
    if (!inside(their.at, window) || our_references.contains(their.reference)) continue;
    add(reconciliation_kind::missing_ours);
    // No intent names it, so no tenant: only an operator sees it.
    report.exceptions.push_back(exception_entry{
        "", "missing_on_our_side",
        R"({"reference":)" + domain::canonical_json(their.reference) + R"(,"theirs":)" + side_json(their) + "}",
        std::nullopt, their.id});
  }
  return report;
}

result<reconciliation_report> reconcile(reconciler& sides, external_step_store& queue,
                                        reconciliation_window const& window, std::chrono::seconds margin,
                                        reconciliation_progress const& progress) {
  reconciliation_window const read{window.from - margin, window.to + margin};
  auto ours = sides.ours(read);
  if (!ours) return domain::unexpected{std::move(ours).error()};
  auto theirs = sides.theirs(read);
  if (!theirs) return domain::unexpected{std::move(theirs).error()};
  auto report = compare(*ours, *theirs, window);
  std::size_t done = 0;
  for (auto const& exception : report.exceptions) {
    if (auto recorded = queue.record_exception(exception); !recorded) return domain::unexpected{recorded.error()};
    if (progress) progress(++done, report.exceptions.size());
  }
  return report;
}

}  // namespace once::application
