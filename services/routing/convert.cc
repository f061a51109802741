#include "services/routing/convert.h"

#include "absl/strings/str_cat.h"
#include "libs/server/config_file.h"
#include "libs/server/timestamp.h"
#include "libs/status/status.h"

namespace jiban::routing {
namespace {

v1::Person ToProto(const Person& p) {
  v1::Person out;
  out.set_name(p.name);
  out.set_post(p.post);
  return out;
}

Person FromProto(const v1::Person& p) { return {p.name(), p.post()}; }

v1::TimeLimit ToProto(const TimeLimit& l) {
  v1::TimeLimit out;
  out.set_working_days(l.working_days);
  out.set_natural_hours(l.natural_hours);
  return out;
}

TimeLimit FromProto(const v1::TimeLimit& l) { return {l.working_days(), l.natural_hours()}; }

}  // namespace

v1::WorkOrder ToProto(const WorkOrder& o) {
  v1::WorkOrder p;
  p.set_id(o.id);
  p.set_request_id(o.request_id);
  p.set_tracking_number(o.tracking_number);
  p.set_unit_id(o.unit_id);
  p.set_unit_name(o.unit_name);
  p.set_unit_kind(static_cast<v1::UnitKind>(o.unit_kind));
  p.set_district_code(o.district_code);
  p.set_lead(o.lead);
  p.set_mode(static_cast<v1::HandlingMode>(o.mode));
  p.set_state(static_cast<v1::OrderState>(o.state));
  p.set_rule_id(o.rule_id);
  p.set_dispatch_note(o.dispatch_note);
  p.set_request_nature(static_cast<jiban::intake::v1::Nature>(o.nature));
  p.set_category(o.category);
  p.set_confidence(o.confidence);
  *p.mutable_dispatch_time() = server::ToTimestamp(o.dispatch_time);
  *p.mutable_clock_start_time() = server::ToTimestamp(o.clock_start);
  *p.mutable_time_limit() = ToProto(o.limit);
  *p.mutable_sign_for_deadline() = server::ToTimestamp(o.sign_for_deadline);
  *p.mutable_deadline() = server::ToTimestamp(o.deadline);
  *p.mutable_return_deadline() = server::ToTimestamp(o.return_deadline);
  if (o.sign_time) *p.mutable_sign_time() = server::ToTimestamp(*o.sign_time);
  p.set_pause_reason(static_cast<v1::PauseReason>(o.pause));
  if (o.pause_time) *p.mutable_pause_time() = server::ToTimestamp(*o.pause_time);
  p.set_paused_working_days(o.paused_working_days);
  if (o.extension.state != ExtensionState::kNone) {
    auto* e = p.mutable_extension();
    e->set_working_days(o.extension.working_days);
    e->set_reason(o.extension.reason);
    e->set_state(static_cast<v1::ExtensionState>(o.extension.state));
    e->set_decision_note(o.extension.decision_note);
  }
  if (o.reply) {
    auto* r = p.mutable_reply();
    r->set_outcome(static_cast<v1::ReplyOutcome>(o.reply->outcome));
    r->set_text(o.reply->text);
    *r->mutable_reply_time() = server::ToTimestamp(o.reply->time);
  }
  p.set_return_reason(static_cast<v1::ReturnReason>(o.return_reason));
  p.set_return_note(o.return_note);
  p.set_extended_working_days(o.extension_days);
  p.set_rehandle_count(o.rehandle_count);
  *p.mutable_person_answerable() = ToProto(o.answerable);
  p.set_version(o.version);
  *p.mutable_update_time() = server::ToTimestamp(o.update_time);
  return p;
}

WorkOrder FromProto(const v1::WorkOrder& p) {
  WorkOrder o;
  o.id = p.id();
  o.request_id = p.request_id();
  o.tracking_number = p.tracking_number();
  o.unit_id = p.unit_id();
  o.unit_name = p.unit_name();
  if (p.unit_kind() != v1::UNIT_KIND_UNSPECIFIED)
    o.unit_kind = static_cast<UnitKind>(p.unit_kind());
  o.district_code = p.district_code();
  o.lead = p.lead();
  o.mode = static_cast<Mode>(p.mode());
  o.state = static_cast<OrderState>(p.state());
  o.rule_id = p.rule_id();
  o.dispatch_note = p.dispatch_note();
  o.nature = static_cast<Nature>(p.request_nature());
  o.category = p.category();
  o.confidence = p.confidence();
  o.dispatch_time = server::FromTimestamp(p.dispatch_time());
  o.clock_start = server::FromTimestamp(p.clock_start_time());
  o.limit = FromProto(p.time_limit());
  o.sign_for_deadline = server::FromTimestamp(p.sign_for_deadline());
  o.deadline = server::FromTimestamp(p.deadline());
  o.return_deadline = server::FromTimestamp(p.return_deadline());
  if (p.has_sign_time()) o.sign_time = server::FromTimestamp(p.sign_time());
  o.pause = static_cast<PauseReason>(p.pause_reason());
  if (p.has_pause_time()) o.pause_time = server::FromTimestamp(p.pause_time());
  o.paused_working_days = p.paused_working_days();
  if (p.has_extension()) {
    o.extension = {.working_days = p.extension().working_days(),
                   .reason = p.extension().reason(),
                   .state = static_cast<ExtensionState>(p.extension().state()),
                   .decision_note = p.extension().decision_note()};
  }
  if (p.has_reply()) {
    o.reply = ReplyInfo{.outcome = static_cast<Outcome>(p.reply().outcome()),
                        .text = p.reply().text(),
                        .time = server::FromTimestamp(p.reply().reply_time())};
  }
  o.return_reason = static_cast<ReturnReason>(p.return_reason());
  o.return_note = p.return_note();
  o.extension_days = p.extended_working_days();
  o.rehandle_count = p.rehandle_count();
  o.answerable = FromProto(p.person_answerable());
  o.version = p.version();
  o.update_time = server::FromTimestamp(p.update_time());
  return o;
}

v1::Unit ToProto(const Unit& u) {
  v1::Unit p;
  p.set_id(u.id);
  p.set_name(u.name);
  p.set_kind(static_cast<v1::UnitKind>(u.kind));
  p.set_parent_id(u.parent_id);
  for (const auto& c : u.district_codes) p.add_district_codes(c);
  for (const auto& a : u.aliases) p.add_aliases(a);
  *p.mutable_person_answerable() = ToProto(u.answerable);
  return p;
}

Unit FromProto(const v1::Unit& p) {
  return {.id = p.id(),
          .name = p.name(),
          .kind = static_cast<UnitKind>(p.kind()),
          .parent_id = p.parent_id(),
          .district_codes = {p.district_codes().begin(), p.district_codes().end()},
          .aliases = {p.aliases().begin(), p.aliases().end()},
          .answerable = FromProto(p.person_answerable())};
}

v1::DispatchList ToProto(const DispatchList& l) {
  v1::DispatchList p;
  p.set_version(l.version);
  p.set_min_confidence(l.min_confidence);
  if (l.create_time != absl::Time()) *p.mutable_create_time() = server::ToTimestamp(l.create_time);
  for (const Rule& r : l.rules) {
    auto* pr = p.add_rules();
    pr->set_id(r.id);
    pr->set_description(r.description);
    auto* m = pr->mutable_match();
    for (Nature n : r.match.natures) m->add_natures(static_cast<jiban::intake::v1::Nature>(n));
    for (const auto& c : r.match.categories) m->add_categories(c);
    for (const auto& k : r.match.keywords) m->add_keywords(k);
    for (const auto& d : r.match.district_codes) m->add_district_codes(d);
    m->set_requester_kind(static_cast<v1::RequesterKind>(r.match.requester));
    pr->set_lead_unit_id(r.lead);
    for (const auto& c : r.co_handlers) pr->add_co_handler_unit_ids(c);
    pr->set_mode(static_cast<v1::HandlingMode>(r.mode));
    *pr->mutable_time_limit() = ToProto(r.limit);
    pr->set_sign_for_hours(r.sign_for_hours);
    pr->set_return_hours(r.return_hours);
  }
  return p;
}

DispatchList FromProto(const v1::DispatchList& p) {
  DispatchList l;
  l.version = p.version();
  l.min_confidence = p.min_confidence() == 0 ? 0.5 : p.min_confidence();
  if (p.has_create_time()) l.create_time = server::FromTimestamp(p.create_time());
  for (const auto& pr : p.rules()) {
    Rule r;
    r.id = pr.id();
    r.description = pr.description();
    for (int n : pr.match().natures()) r.match.natures.push_back(static_cast<Nature>(n));
    r.match.categories.assign(pr.match().categories().begin(), pr.match().categories().end());
    r.match.keywords.assign(pr.match().keywords().begin(), pr.match().keywords().end());
    r.match.district_codes.assign(pr.match().district_codes().begin(),
                                  pr.match().district_codes().end());
    r.match.requester = static_cast<RequesterKind>(pr.match().requester_kind());
    r.lead = pr.lead_unit_id();
    r.co_handlers.assign(pr.co_handler_unit_ids().begin(), pr.co_handler_unit_ids().end());
    r.mode = static_cast<Mode>(pr.mode());
    r.limit = FromProto(pr.time_limit());
    r.sign_for_hours = pr.sign_for_hours();
    r.return_hours = pr.return_hours();
    l.rules.push_back(std::move(r));
  }
  return l;
}

v1::TriageItem ToTriageItem(const RoutedRequest& r) {
  v1::TriageItem t;
  t.set_request_id(r.facts.id);
  t.set_tracking_number(r.facts.tracking_number);
  t.set_reason(r.triage_reason);
  t.set_category(r.category);
  t.set_confidence(r.confidence);
  t.set_title(r.facts.title);
  t.set_district_code(r.facts.district_code);
  t.set_return_count(r.return_count);
  for (const auto& u : r.excluded_units) t.add_excluded_unit_ids(u);
  *t.mutable_create_time() = server::ToTimestamp(r.update_time);
  return t;
}

RequestFacts FactsOf(const jiban::intake::v1::RequestSummary& s) {
  return {.id = s.id(),
          .tracking_number = s.tracking_number(),
          .nature = static_cast<Nature>(s.nature()),
          .title = s.title(),
          .text = s.text(),
          .district_code = s.location().district_code(),
          .town_code = s.location().town_code(),
          .enterprise = s.enterprise(),
          .answered = s.status() == jiban::intake::v1::REQUEST_STATUS_ANSWERED,
          .master_id = s.master_id(),
          .create_time = server::FromTimestamp(s.create_time())};
}

absl::StatusOr<std::vector<Unit>> ParseUnitDirectory(absl::string_view json) {
  v1::UnitDirectory d;
  if (auto s = server::ParseConfigJson(json, &d, "unit directory"); !s.ok()) return s;
  std::vector<Unit> out;
  for (const auto& u : d.units()) out.push_back(FromProto(u));
  return out;
}

absl::StatusOr<DispatchList> ParseDispatchList(absl::string_view json) {
  v1::DispatchList l;
  if (auto s = server::ParseConfigJson(json, &l, "dispatch list"); !s.ok()) return s;
  return FromProto(l);
}

}  // namespace jiban::routing
