#include "services/assessment/convert.h"

#include <thread>

#include "absl/time/civil_time.h"
#include "libs/server/timestamp.h"
#include "libs/status/macros.h"
#include "libs/status/status.h"
#include "proto/jiban/escalation/v1/escalation.pb.h"
#include "proto/jiban/intake/v1/intake.pb.h"
#include "proto/jiban/routing/v1/routing.pb.h"

namespace jiban::assessment {
namespace {

using server::FromTimestamp;
using server::ToTimestamp;
namespace rv1 = jiban::routing::v1;
namespace ev1 = jiban::escalation::v1;
namespace iv1 = jiban::intake::v1;

std::optional<absl::Time> Optional(bool has, const google::protobuf::Timestamp& t) {
  if (!has) return std::nullopt;
  return FromTimestamp(t);
}

void SetOptional(const std::optional<absl::Time>& t, google::protobuf::Timestamp* out) {
  if (t) *out = ToTimestamp(*t);
}

UnitClass ClassOf(rv1::UnitKind kind) {
  switch (kind) {
    case rv1::UNIT_KIND_DEPARTMENT:
      return UnitClass::kDepartment;
    case rv1::UNIT_KIND_DISTRICT:
      return UnitClass::kDistrict;
    case rv1::UNIT_KIND_TOWN:
      return UnitClass::kTown;
    case rv1::UNIT_KIND_WINDOW:
    case rv1::UNIT_KIND_HELPER_POST:
      return UnitClass::kWindow;
    default:
      return UnitClass::kOther;
  }
}

OrderSnapshot SnapshotOf(const std::string& change, const rv1::WorkOrder& o, absl::Time time) {
  OrderSnapshot s{.change = change, .time = time};
  OrderFacts& f = s.order;
  f.order_id = o.id();
  f.request_id = o.request_id();
  f.tracking_number = o.tracking_number();
  f.unit_id = o.unit_id();
  f.unit_name = o.unit_name();
  f.unit_class = ClassOf(o.unit_kind());
  f.lead = o.lead();
  f.dispatch_time = FromTimestamp(o.dispatch_time());
  f.sign_for_deadline = FromTimestamp(o.sign_for_deadline());
  f.deadline = FromTimestamp(o.deadline());
  f.sign_time = Optional(o.has_sign_time(), o.sign_time());
  f.reply_time = Optional(o.has_reply() && o.reply().has_reply_time(), o.reply().reply_time());
  f.cancelled = o.state() == rv1::ORDER_STATE_CANCELLED;
  f.rehandle_count = o.rehandle_count();
  f.version = o.version();
  s.returned = o.state() == rv1::ORDER_STATE_RETURNED;
  s.closed = o.state() == rv1::ORDER_STATE_CLOSED;
  s.extension_requested = o.has_extension() && o.extension().working_days() > 0;
  return s;
}

}  // namespace

void FactDecoder::Decode(const jiban::events::v1::Event& event, Incoming& in) {
  in.orders.clear();
  in.evaluations.clear();
  in.lights.clear();
  in.cases.clear();
  const absl::Time at = FromTimestamp(event.occurred_time());
  if (event.payload().UnpackTo(&dispatched_)) {
    for (const rv1::WorkOrder& o : dispatched_.orders()) {
      in.orders.push_back(SnapshotOf("dispatched", o, at));
    }
  } else if (event.payload().UnpackTo(&changed_)) {
    in.orders.push_back(SnapshotOf(changed_.change(), changed_.order(), at));
  } else if (event.payload().UnpackTo(&evaluated_)) {
    const iv1::Evaluation& e = evaluated_.evaluation();
    in.evaluations.push_back({.request_id = evaluated_.id(),
                              .dissatisfied = e.dissatisfied(),
                              .resolved = e.resolution() == iv1::RESOLUTION_RESOLVED,
                              .time = e.has_create_time() ? FromTimestamp(e.create_time()) : at});
  } else if (event.payload().UnpackTo(&raised_)) {
    const ev1::Light& l = raised_.light();
    in.lights.push_back({.light_id = l.id(),
                         .order_id = l.order_id(),
                         .unit_id = l.unit_id(),
                         .red = l.colour() == ev1::LIGHT_COLOUR_RED,
                         .raised = FromTimestamp(l.raise_time())});
  } else if (event.payload().UnpackTo(&case_changed_)) {
    const ev1::SupervisionCase& c = case_changed_.case_();
    const ev1::CaseAction& a = case_changed_.action();
    CaseUpdate u{.fact = {.case_id = c.id(),
                          .order_id = c.order_id(),
                          .unit_id = c.unit_id(),
                          .opened = FromTimestamp(c.create_time()),
                          .deadline = FromTimestamp(c.deadline())},
                 .time = FromTimestamp(a.time())};
    if (a.kind() == ev1::CASE_ACTION_KIND_RECTIFIED) u.mark = CaseUpdate::Mark::kRectified;
    if (a.kind() == ev1::CASE_ACTION_KIND_REOPENED) u.mark = CaseUpdate::Mark::kReopened;
    in.cases.push_back(u);
  }
}

absl::StatusOr<MemoryFacts> Replay(const std::vector<std::string>& intake,
                                   const std::vector<std::string>& routing,
                                   const std::vector<std::string>& escalation, int threads) {
  const size_t n = static_cast<size_t>(std::max(threads, 1));
  std::vector<MemoryFacts> parts(n);
  std::vector<absl::Status> results(n);
  auto work = [&](size_t k) {
    FactDecoder decoder;
    jiban::events::v1::Event e;
    Incoming in;
    auto fold = [&](const std::vector<std::string>& log, size_t from, size_t to) -> absl::Status {
      for (size_t i = from; i < to; ++i) {
        if (!e.ParseFromString(log[i])) return absl::DataLossError("unreadable event");
        decoder.Decode(e, in);
        JIBAN_RETURN_IF_ERROR(Apply(parts[k], in));
      }
      return absl::OkStatus();
    };
    results[k] = fold(routing, routing.size() * k / n, routing.size() * (k + 1) / n);
    if (results[k].ok() && k == 0) results[k] = fold(intake, 0, intake.size());
    if (results[k].ok() && k == n - 1) results[k] = fold(escalation, 0, escalation.size());
  };
  std::vector<std::thread> pool;
  for (size_t k = 1; k < n; ++k) pool.emplace_back(work, k);
  work(0);
  for (std::thread& t : pool) t.join();
  for (const absl::Status& s : results) JIBAN_RETURN_IF_ERROR(s);
  for (size_t k = 1; k < n; ++k) parts[0].MergeFrom(std::move(parts[k]));
  return std::move(parts[0]);
}

v1::Scheme ToProto(const Scheme& s) {
  v1::Scheme p;
  p.set_version(s.version);
  p.set_effective_from(absl::FormatCivilTime(s.effective_from));
  for (const ContentWeight& c : s.contents) {
    auto* out = p.add_contents();
    out->set_content(static_cast<v1::Content>(c.content));
    out->set_name(c.name);
    out->set_points(c.points);
  }
  for (const SubItem& i : s.sub_items) {
    auto* out = p.add_sub_items();
    out->set_id(i.id);
    out->set_name(i.name);
    out->set_content(static_cast<v1::Content>(i.content));
    out->set_metric(static_cast<v1::Metric>(i.metric));
    out->set_rule(static_cast<v1::Rule>(i.rule));
    out->set_points(i.points);
    out->set_target(i.target);
    out->set_floor(i.floor);
    out->set_per_event(i.per_event);
    out->set_red_weight(i.red_weight);
  }
  p.set_commendation_threshold(s.commendation_threshold);
  p.set_actor(s.actor);
  if (s.created != absl::Time()) *p.mutable_create_time() = ToTimestamp(s.created);
  return p;
}

absl::StatusOr<Scheme> FromProto(const v1::Scheme& p) {
  Scheme s;
  s.version = p.version();
  if (!absl::ParseCivilTime(p.effective_from(), &s.effective_from)) {
    return InvalidArgument("INVALID_REQUEST", {{"scheme.effective_from", "a date YYYY-MM-DD"}});
  }
  for (const v1::ContentWeight& c : p.contents()) {
    s.contents.push_back(
        {.content = static_cast<Content>(c.content()), .name = c.name(), .points = c.points()});
  }
  for (const v1::SubItem& i : p.sub_items()) {
    s.sub_items.push_back({.id = i.id(),
                           .name = i.name(),
                           .content = static_cast<Content>(i.content()),
                           .metric = static_cast<Metric>(i.metric()),
                           .rule = static_cast<Rule>(i.rule()),
                           .points = i.points(),
                           .target = i.target(),
                           .floor = i.floor(),
                           .per_event = i.per_event(),
                           .red_weight = i.red_weight()});
  }
  s.commendation_threshold = p.commendation_threshold();
  s.actor = p.actor();
  if (p.has_create_time()) s.created = FromTimestamp(p.create_time());
  return s;
}

v1::SubItemScore ToProto(const SubItemScore& s) {
  v1::SubItemScore p;
  p.set_id(s.id);
  p.set_name(s.name);
  p.set_content(static_cast<v1::Content>(s.content));
  p.set_numerator(s.numerator);
  p.set_denominator(s.denominator);
  p.set_value(s.value);
  p.set_no_data(s.no_data);
  p.set_target(s.target);
  p.set_points(static_cast<double>(s.centipoints) / 100);
  p.set_max_points(s.max_points);
  p.set_against_count(s.against_count);
  for (const std::string& id : s.against) p.add_against_ids(id);
  return p;
}

v1::UnitScore ToProto(const UnitScore& u) {
  v1::UnitScore p;
  p.set_unit_id(u.unit_id);
  p.set_unit_name(u.unit_name);
  p.set_unit_class(static_cast<v1::UnitClass>(u.unit_class));
  p.set_period(u.period);
  p.set_scheme_version(u.scheme_version);
  p.set_total(static_cast<double>(u.total_centipoints) / 100);
  for (const ContentScore& c : u.contents) {
    auto* out = p.add_contents();
    out->set_content(static_cast<v1::Content>(c.content));
    out->set_name(c.name);
    out->set_points(static_cast<double>(c.centipoints) / 100);
    out->set_max_points(c.max_points);
  }
  for (const SubItemScore& s : u.sub_items) *p.add_sub_items() = ToProto(s);
  p.set_published(u.published);
  *p.mutable_as_of_time() = ToTimestamp(u.as_of);
  p.set_orders(u.orders);
  p.set_red_lights(u.red_lights);
  return p;
}

UnitScore FromProto(const v1::UnitScore& p) {
  UnitScore u{.unit_id = p.unit_id(),
              .unit_name = p.unit_name(),
              .unit_class = static_cast<UnitClass>(p.unit_class()),
              .period = p.period(),
              .scheme_version = p.scheme_version(),
              .total_centipoints = std::llround(p.total() * 100),
              .published = p.published(),
              .as_of = FromTimestamp(p.as_of_time()),
              .orders = p.orders(),
              .red_lights = p.red_lights()};
  for (const v1::ContentScore& c : p.contents()) {
    u.contents.push_back({.content = static_cast<Content>(c.content()),
                          .name = c.name(),
                          .centipoints = std::llround(c.points() * 100),
                          .max_points = c.max_points()});
  }
  for (const v1::SubItemScore& s : p.sub_items()) {
    u.sub_items.push_back({.id = s.id(),
                           .name = s.name(),
                           .content = static_cast<Content>(s.content()),
                           .numerator = s.numerator(),
                           .denominator = s.denominator(),
                           .value = s.value(),
                           .no_data = s.no_data(),
                           .target = s.target(),
                           .centipoints = std::llround(s.points() * 100),
                           .max_points = s.max_points(),
                           .against_count = s.against_count(),
                           .against = {s.against_ids().begin(), s.against_ids().end()}});
  }
  return u;
}

v1::OrderFacts ToProto(const OrderFacts& f, const std::optional<Evaluation>& e) {
  v1::OrderFacts p;
  p.set_order_id(f.order_id);
  p.set_request_id(f.request_id);
  p.set_tracking_number(f.tracking_number);
  p.set_unit_id(f.unit_id);
  p.set_lead(f.lead);
  *p.mutable_dispatch_time() = ToTimestamp(f.dispatch_time);
  *p.mutable_sign_for_deadline() = ToTimestamp(f.sign_for_deadline);
  *p.mutable_deadline() = ToTimestamp(f.deadline);
  SetOptional(f.sign_time, p.mutable_sign_time());
  SetOptional(f.return_time, p.mutable_return_time());
  SetOptional(f.reply_time, p.mutable_reply_time());
  SetOptional(f.close_time, p.mutable_close_time());
  p.set_extension_requested(f.extension_time.has_value());
  p.set_cancelled(f.cancelled);
  p.set_rehandle_count(f.rehandle_count);
  if (e) {
    p.set_evaluated(true);
    p.set_dissatisfied(e->dissatisfied);
    p.set_resolved(e->resolved);
  }
  return p;
}

v1::LightFact ToProto(const LightFact& l) {
  v1::LightFact p;
  p.set_light_id(l.light_id);
  p.set_order_id(l.order_id);
  p.set_red(l.red);
  *p.mutable_raise_time() = ToTimestamp(l.raised);
  return p;
}

v1::CaseFact ToProto(const CaseFact& c) {
  v1::CaseFact p;
  p.set_case_id(c.case_id);
  p.set_order_id(c.order_id);
  *p.mutable_open_time() = ToTimestamp(c.opened);
  *p.mutable_deadline() = ToTimestamp(c.deadline);
  SetOptional(c.rectified, p.mutable_rectify_time());
  return p;
}

v1::Objection ToProto(const Objection& o) {
  v1::Objection p;
  p.set_id(o.id);
  p.set_kind(static_cast<v1::ObjectionKind>(o.kind));
  p.set_order_id(o.order_id);
  p.set_unit_id(o.unit_id);
  p.set_reason(static_cast<v1::ObjectionReason>(o.reason));
  p.set_note(o.note);
  p.set_state(static_cast<v1::ObjectionState>(o.state));
  p.set_decision_note(o.decision_note);
  p.set_decided_by(o.decided_by);
  *p.mutable_create_time() = ToTimestamp(o.created);
  *p.mutable_update_time() = ToTimestamp(o.updated);
  return p;
}

Objection FromProto(const v1::Objection& p) {
  return {.id = p.id(),
          .kind = static_cast<ObjectionKind>(p.kind()),
          .order_id = p.order_id(),
          .unit_id = p.unit_id(),
          .reason = static_cast<ObjectionReason>(p.reason()),
          .note = p.note()};
}

}  // namespace jiban::assessment
