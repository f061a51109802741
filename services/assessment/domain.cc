#include "services/assessment/domain.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "libs/calendar/calendar.h"
#include "libs/clock/page.h"
#include "libs/status/macros.h"
#include "libs/status/status.h"

namespace jiban::assessment {
namespace {

constexpr double kEpsilon = 1e-6;

bool By(const std::optional<absl::Time>& t, absl::Time as_of) { return t && *t <= as_of; }

int64_t Centi(double points) { return std::llround(points * 100); }

using Tally = Scorer::Tally;

// Counts one due order (case): in favour, or against.
void Count(Tally& t, bool good, const std::string& id, bool keep) {
  t.denominator++;
  if (good) {
    t.numerator++;
  } else {
    t.against_count++;
    if (keep) t.against.push_back(id);
  }
}
// Counts what went wrong as the numerator (returns, extensions, lights).
void CountAgainst(Tally& t, double weight, const std::string& id, bool keep) {
  t.numerator += weight;
  t.against_count++;
  if (keep) t.against.push_back(id);
}

}  // namespace

absl::Status Validate(const Scheme& s) {
  Violations v;
  std::map<Content, double> content_points;
  double total = 0;
  for (size_t i = 0; i < s.contents.size(); ++i) {
    const ContentWeight& c = s.contents[i];
    const std::string at = absl::StrCat("scheme.contents[", i, "]");
    const int kind = static_cast<int>(c.content);
    if (kind < 1 || kind > 3) {
      v.Add(at + ".content", "one of DAILY, PERFORMANCE, YEAR_END");
    } else if (content_points.contains(c.content)) {
      v.Add(at + ".content", "each content once");
    } else {
      content_points[c.content] = c.points;
    }
    v.Length(at + ".name", c.name, 1, 64);
    if (!(c.points > 0)) v.Add(at + ".points", "greater than 0");
    total += c.points;
  }
  if (content_points.size() != 3) v.Add("scheme.contents", "the three contents, each once");
  if (std::abs(total - 100) > kEpsilon) v.Add("scheme.contents", "points add up to 100");
  if (s.sub_items.empty() || s.sub_items.size() > 32) v.Add("scheme.sub_items", "1 to 32 items");
  std::set<std::string> ids;
  std::map<Content, double> sums;
  for (size_t i = 0; i < s.sub_items.size(); ++i) {
    const SubItem& it = s.sub_items[i];
    const std::string at = absl::StrCat("scheme.sub_items[", i, "]");
    v.Length(at + ".id", it.id, 1, 64);
    if (!ids.insert(it.id).second) v.Add(at + ".id", "unique in the scheme");
    v.Length(at + ".name", it.name, 1, 64);
    if (!content_points.contains(it.content))
      v.Add(at + ".content", "one of the scheme's contents");
    const int metric = static_cast<int>(it.metric);
    if (metric < 1 || metric > kMetricCount) v.Add(at + ".metric", "a known metric");
    const int rule = static_cast<int>(it.rule);
    if (rule < 1 || rule > 3) v.Add(at + ".rule", "one of LINEAR, DEDUCTION, BONUS");
    if (!(it.points > 0)) v.Add(at + ".points", "greater than 0");
    if (it.rule == Rule::kLinear && std::abs(it.target - it.floor) < kEpsilon) {
      v.Add(at + ".floor", "different from target");
    }
    if (it.rule != Rule::kLinear && !(it.per_event > 0)) {
      v.Add(at + ".per_event", "greater than 0 for DEDUCTION and BONUS");
    }
    if (it.red_weight < 0) v.Add(at + ".red_weight", "0 or more");
    sums[it.content] += it.points;
  }
  for (size_t i = 0; i < s.contents.size(); ++i) {
    const ContentWeight& c = s.contents[i];
    if (content_points.contains(c.content) && std::abs(sums[c.content] - c.points) > kEpsilon) {
      v.Add(absl::StrCat("scheme.contents[", i, "].points"), "the sum of its sub-items' points");
    }
  }
  if (s.commendation_threshold < 0 || s.commendation_threshold > 100) {
    v.Add("scheme.commendation_threshold", "between 0 and 100");
  }
  if (!v.empty()) return v.Status();
  return absl::OkStatus();
}

absl::StatusOr<Period> ParsePeriod(const std::string& key, const std::string& field) {
  auto bad = [&] {
    return InvalidArgument("INVALID_REQUEST",
                           {{field, "a month YYYY-MM, a quarter YYYY-Qn or a year YYYY"}});
  };
  std::vector<std::string> parts = absl::StrSplit(key, '-');
  int year = 0;
  if (parts.empty() || parts.size() > 2 || parts[0].size() != 4 ||
      !absl::SimpleAtoi(parts[0], &year) || year < 2000 || year > 2100) {
    return bad();
  }
  absl::CivilMonth from(year, 1);
  int months = 12;
  if (parts.size() == 2) {
    int n = 0;
    const std::string& p = parts[1];
    if (p.size() == 2 && p[0] == 'Q' && absl::SimpleAtoi(p.substr(1), &n) && n >= 1 && n <= 4) {
      from = absl::CivilMonth(year, 3 * (n - 1) + 1);
      months = 3;
    } else if (p.size() == 2 && absl::SimpleAtoi(p, &n) && n >= 1 && n <= 12) {
      from = absl::CivilMonth(year, n);
      months = 1;
    } else {
      return bad();
    }
  }
  const absl::TimeZone zone = calendar::CityZone();
  return Period{.key = key,
                .start = absl::FromCivil(from, zone),
                .end = absl::FromCivil(from + months, zone)};
}

namespace {
std::optional<absl::Time> Earliest(const std::optional<absl::Time>& a,
                                   const std::optional<absl::Time>& b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

// `kept` becomes the merge of itself and `other` (whose moments are given apart, so that a
// snapshot's need not be copied into it first): the state of the higher version, the earliest of
// each moment. The one implementation of Merge's rule.
void Absorb(OrderFacts& kept, const OrderFacts& other, const std::optional<absl::Time>& returned,
            const std::optional<absl::Time>& extended, const std::optional<absl::Time>& closed) {
  const auto return_time = Earliest(kept.return_time, returned);
  const auto extension_time = Earliest(kept.extension_time, extended);
  const auto close_time = Earliest(kept.close_time, closed);
  if (other.version > kept.version) kept = other;
  kept.return_time = return_time;
  kept.extension_time = extension_time;
  kept.close_time = close_time;
}
}  // namespace

OrderFacts Merge(const OrderFacts& a, const OrderFacts& b) {
  OrderFacts f = a;
  Absorb(f, b, b.return_time, b.extension_time, b.close_time);
  return f;
}

void FoldInto(OrderFacts& kept, const OrderSnapshot& s) {
  auto moment = [&](bool now, const std::optional<absl::Time>& reported) {
    return now ? std::optional<absl::Time>(s.time) : reported;
  };
  Absorb(kept, s.order, moment(s.returned, s.order.return_time),
         moment(s.extension_requested, s.order.extension_time),
         moment(s.closed, s.order.close_time));
}

namespace {
// A snapshot's own facts: the order as routing reports it, with the moment of this change.
OrderFacts FactsOf(const OrderSnapshot& s) {
  OrderFacts f = s.order;
  if (s.returned) f.return_time = s.time;
  if (s.extension_requested) f.extension_time = s.time;
  if (s.closed) f.close_time = s.time;
  return f;
}
}  // namespace

OrderFacts Fold(const std::optional<OrderFacts>& before, const OrderSnapshot& s) {
  if (!before) return FactsOf(s);
  OrderFacts f = *before;
  FoldInto(f, s);
  return f;
}

bool Later(const Evaluation& a, const Evaluation& b) {
  if (a.time != b.time) return a.time > b.time;
  return std::tie(a.dissatisfied, a.resolved) > std::tie(b.dissatisfied, b.resolved);
}

absl::Status FactSink::FoldOrder(const OrderSnapshot& s) {
  JIBAN_ASSIGN_OR_RETURN(auto before, GetOrder(s.order.order_id));
  return PutOrder(Fold(before, s));
}

absl::Status Apply(FactSink& s, const Incoming& in) {
  for (const OrderSnapshot& o : in.orders) JIBAN_RETURN_IF_ERROR(s.FoldOrder(o));
  for (const Evaluation& e : in.evaluations) {
    JIBAN_ASSIGN_OR_RETURN(auto before, s.GetEvaluation(e.request_id));
    if (!before || Later(e, *before)) JIBAN_RETURN_IF_ERROR(s.PutEvaluation(e));
  }
  for (const LightFact& l : in.lights) JIBAN_RETURN_IF_ERROR(s.PutLight(l));
  for (const CaseUpdate& u : in.cases) {
    JIBAN_ASSIGN_OR_RETURN(auto before, s.GetCase(u.fact.case_id));
    CaseFact c = u.fact;
    c.rectified = before ? before->rectified : std::nullopt;
    if (u.mark == CaseUpdate::Mark::kRectified) c.rectified = u.time;
    if (u.mark == CaseUpdate::Mark::kReopened) c.rectified.reset();
    JIBAN_RETURN_IF_ERROR(s.PutCase(c));
  }
  return absl::OkStatus();
}

template <typename M>
auto Find(const M& m, const std::string& key) -> std::optional<typename M::mapped_type> {
  auto it = m.find(key);
  if (it == m.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::optional<OrderFacts>> MemoryFacts::GetOrder(const std::string& id) {
  return Find(orders_, id);
}
absl::Status MemoryFacts::FoldOrder(const OrderSnapshot& s) {
  auto [it, inserted] = orders_.try_emplace(s.order.order_id);
  if (inserted) {
    it->second = Fold(std::nullopt, s);
  } else {
    FoldInto(it->second, s);
  }
  NoteUnit(it->second);
  return absl::OkStatus();
}

absl::Status MemoryFacts::PutOrder(const OrderFacts& f) {
  orders_[f.order_id] = f;
  NoteUnit(f);
  return absl::OkStatus();
}

void MemoryFacts::NoteUnit(const OrderFacts& f) {
  auto& unit = units_[f.unit_id];
  if (unit.first != f.unit_name || unit.second != f.unit_class) unit = {f.unit_name, f.unit_class};
}
absl::StatusOr<std::optional<Evaluation>> MemoryFacts::GetEvaluation(const std::string& id) {
  return Find(evaluations_, id);
}
absl::Status MemoryFacts::PutEvaluation(const Evaluation& e) {
  evaluations_[e.request_id] = e;
  return absl::OkStatus();
}
absl::Status MemoryFacts::PutLight(const LightFact& l) {
  lights_.emplace(l.light_id, l);
  return absl::OkStatus();
}
absl::StatusOr<std::optional<CaseFact>> MemoryFacts::GetCase(const std::string& id) {
  return Find(cases_, id);
}
absl::Status MemoryFacts::PutCase(const CaseFact& c) {
  cases_[c.case_id] = c;
  return absl::OkStatus();
}

void MemoryFacts::MergeFrom(MemoryFacts&& other) {
  for (auto& [id, o] : other.orders_) {
    auto [it, inserted] = orders_.try_emplace(id, std::move(o));
    if (!inserted) it->second = Merge(it->second, o);
  }
  for (auto& [id, e] : other.evaluations_) {
    auto [it, inserted] = evaluations_.try_emplace(id, std::move(e));
    if (!inserted && Later(e, it->second)) it->second = e;
  }
  lights_.merge(other.lights_);
  cases_.merge(other.cases_);
  units_.merge(other.units_);
}

std::vector<UnitFacts> MemoryFacts::Facts(absl::Time start, absl::Time end,
                                          const std::string& unit_id) const {
  std::map<std::string, UnitFacts> units;
  auto unit = [&](const std::string& id) -> UnitFacts& {
    UnitFacts& u = units[id];
    if (u.unit_id.empty()) {
      u.unit_id = id;
      if (auto it = units_.find(id); it != units_.end()) {
        u.unit_name = it->second.first;
        u.unit_class = it->second.second;
      }
    }
    return u;
  };
  auto wanted = [&](const std::string& id, absl::Time t) {
    return t >= start && t < end && (unit_id.empty() || id == unit_id);
  };
  for (const auto& [id, o] : orders_) {
    if (!wanted(o.unit_id, o.dispatch_time)) continue;
    UnitFacts& u = unit(o.unit_id);
    u.orders.push_back(o);
    if (auto e = evaluations_.find(o.request_id); e != evaluations_.end()) {
      u.evaluations.push_back(e->second);
    }
  }
  for (const auto& [id, l] : lights_) {
    if (wanted(l.unit_id, l.raised)) unit(l.unit_id).lights.push_back(l);
  }
  for (const auto& [id, c] : cases_) {
    if (wanted(c.unit_id, c.opened)) unit(c.unit_id).cases.push_back(c);
  }
  // In id order, as the database returns them.
  auto by_id = [](auto member) {
    return [member](const auto& a, const auto& b) { return a.*member < b.*member; };
  };
  std::vector<UnitFacts> out;
  for (auto& [id, u] : units) {
    std::sort(u.orders.begin(), u.orders.end(), by_id(&OrderFacts::order_id));
    std::sort(u.lights.begin(), u.lights.end(), by_id(&LightFact::light_id));
    std::sort(u.cases.begin(), u.cases.end(), by_id(&CaseFact::case_id));
    out.push_back(std::move(u));
  }
  return out;
}

absl::StatusOr<ObjectionState> Decide(ObjectionState state, Decision d) {
  if (d == Decision::kReverse) {
    if (state != ObjectionState::kApproved) {
      return Precondition("OBJECTION_NOT_APPROVED", "only an approved objection can be reversed");
    }
    return ObjectionState::kReversed;
  }
  if (state != ObjectionState::kPending) {
    return Precondition("OBJECTION_NOT_PENDING", "the objection was decided already");
  }
  return d == Decision::kApprove ? ObjectionState::kApproved : ObjectionState::kRefused;
}

Scorer::Scorer(Scheme scheme, Period period, absl::Time as_of, Against keep)
    : scheme_(std::move(scheme)),
      period_(std::move(period)),
      as_of_(as_of),
      keep_(std::move(keep)) {}

void Scorer::Start(const UnitFacts& unit) {
  unit_ = UnitFacts{.unit_id = unit.unit_id,
                    .unit_name = unit.unit_name,
                    .unit_class = unit.unit_class,
                    .proactive = unit.proactive};
  excluded_ = {unit.excluded_orders.begin(), unit.excluded_orders.end()};
  set_aside_ = {unit.set_aside_requests.begin(), unit.set_aside_requests.end()};
  tallies_.assign(scheme_.sub_items.size(), Tally{});
  orders_seen_ = lights_seen_ = cases_seen_ = 0;
  orders_ = red_lights_ = 0;
}

void Scorer::Add(const UnitFacts& page) {
  orders_seen_ += static_cast<int64_t>(page.orders.size());
  lights_seen_ += static_cast<int64_t>(page.lights.size());
  cases_seen_ += static_cast<int64_t>(page.cases.size());
  // The page as every sub-item reads it, indexed once: the orders that count (not cancelled, not
  // excluded) and the evaluations that count (by the as-of instant, not set aside by an appeal).
  Counted counted;
  for (const OrderFacts& o : page.orders) {
    if (!o.cancelled && !excluded_.contains(o.order_id)) counted.orders.push_back(&o);
  }
  for (const Evaluation& e : page.evaluations) {
    if (e.time <= as_of_ && !set_aside_.contains(e.request_id)) {
      counted.evaluations[e.request_id] = &e;
    }
  }
  orders_ += static_cast<int>(counted.orders.size());
  for (const LightFact& l : page.lights) {
    if (l.red && l.raised <= as_of_) red_lights_++;
  }
  for (size_t i = 0; i < scheme_.sub_items.size(); ++i) {
    Measure(scheme_.sub_items[i], page, counted, tallies_[i]);
  }
}

void Scorer::Measure(const SubItem& item, const UnitFacts& page, const Counted& counted,
                     Tally& t) const {
  const bool keep = keep_.Keeps(item.id);
  if (item.metric == Metric::kLights) {
    const double red = item.red_weight > 0 ? item.red_weight : 1;
    for (const LightFact& l : page.lights) {
      if (l.raised <= as_of_) CountAgainst(t, l.red ? red : 1, l.light_id, keep);
    }
    return;
  }
  if (item.metric == Metric::kCasesRectified) {
    for (const CaseFact& c : page.cases) {
      if (c.opened > as_of_) continue;
      const bool rectified = By(c.rectified, as_of_);
      if (c.deadline > as_of_ && !rectified) continue;  // not yet due
      Count(t, rectified && *c.rectified <= c.deadline, c.case_id, keep);
    }
    return;
  }
  if (item.metric == Metric::kProactiveWork) return;  // unit-wide: see Finish
  for (const OrderFacts* order : counted.orders) {
    const OrderFacts& o = *order;
    const bool returned = By(o.return_time, as_of_);
    const bool replied = By(o.reply_time, as_of_);
    const bool closed = By(o.close_time, as_of_);
    const bool reply_due = o.deadline <= as_of_ || replied;
    switch (item.metric) {
      case Metric::kSignForOnTime: {
        std::optional<absl::Time> responded;
        if (By(o.sign_time, as_of_)) responded = o.sign_time;
        if (returned && (!responded || *o.return_time < *responded)) responded = o.return_time;
        if (o.sign_for_deadline > as_of_ && !responded) break;
        Count(t, responded && *responded <= o.sign_for_deadline, o.order_id, keep);
        break;
      }
      case Metric::kHandledOnTime:
        if (!returned && reply_due) {
          Count(t, replied && *o.reply_time <= o.deadline, o.order_id, keep);
        }
        break;
      case Metric::kResponseRate:
        if (!returned && reply_due) Count(t, replied || closed, o.order_id, keep);
        break;
      case Metric::kReturnRate:
        // The rate counts what went wrong: a returned order is the numerator.
        t.denominator++;
        if (returned) CountAgainst(t, 1, o.order_id, keep);
        break;
      case Metric::kExtensionRate:
        t.denominator++;
        if (By(o.extension_time, as_of_)) CountAgainst(t, 1, o.order_id, keep);
        break;
      case Metric::kResolutionRate:
      case Metric::kSatisfactionRate: {
        auto e = counted.evaluations.find(o.request_id);
        if (!o.lead || e == counted.evaluations.end()) break;
        Count(
            t,
            item.metric == Metric::kResolutionRate ? e->second->resolved : !e->second->dissatisfied,
            o.order_id, keep);
        break;
      }
      case Metric::kProblemsCleared:
        if (!returned) Count(t, replied || closed, o.order_id, keep);
        break;
      default:
        break;
    }
  }
}

UnitScore Scorer::Finish() const {
  UnitScore u{.unit_id = unit_.unit_id,
              .unit_name = unit_.unit_name,
              .unit_class = unit_.unit_class,
              .period = period_.key,
              .scheme_version = scheme_.version,
              .as_of = as_of_,
              .orders = orders_,
              .red_lights = red_lights_};
  for (const ContentWeight& c : scheme_.contents) {
    u.contents.push_back({.content = c.content, .name = c.name, .max_points = c.points});
  }
  for (size_t i = 0; i < scheme_.sub_items.size(); ++i) {
    const SubItem& item = scheme_.sub_items[i];
    Tally t = tallies_[i];
    if (item.metric == Metric::kProactiveWork) t.numerator = static_cast<double>(unit_.proactive);
    SubItemScore s{.id = item.id,
                   .name = item.name,
                   .content = item.content,
                   .numerator = t.numerator,
                   .denominator = t.denominator,
                   .target = item.target,
                   .max_points = item.points,
                   .against_count = t.against_count,
                   .against = std::move(t.against)};
    double points = 0;
    if (item.rule == Rule::kLinear) {
      s.no_data = t.denominator == 0;
      s.value = s.no_data ? 0 : t.numerator / t.denominator;
      const double share = (s.value - item.floor) / (item.target - item.floor);
      points = s.no_data ? item.points : item.points * std::clamp(share, 0.0, 1.0);
    } else {
      s.value = t.numerator;
      points = item.rule == Rule::kDeduction
                   ? std::max(0.0, item.points - item.per_event * t.numerator)
                   : std::min(item.points, item.per_event * t.numerator);
    }
    s.centipoints = Centi(points);
    for (ContentScore& c : u.contents) {
      if (c.content == item.content) c.centipoints += s.centipoints;
    }
    u.total_centipoints += s.centipoints;
    u.sub_items.push_back(std::move(s));
  }
  return u;
}

UnitScore Score(const Scheme& scheme, const UnitFacts& facts, const Period& period,
                absl::Time as_of, Against keep) {
  Scorer scorer(scheme, period, as_of, std::move(keep));
  scorer.Start(facts);
  scorer.Add(facts);
  return scorer.Finish();
}

Rankings Rank(std::vector<UnitScore> scores, int list_size, double threshold) {
  std::sort(scores.begin(), scores.end(), [](const UnitScore& a, const UnitScore& b) {
    if (a.total_centipoints != b.total_centipoints) {
      return a.total_centipoints > b.total_centipoints;
    }
    return a.unit_id < b.unit_id;
  });
  Rankings r;
  for (size_t i = 0; i < scores.size(); ++i) {
    const bool tied = i > 0 && scores[i].total_centipoints == scores[i - 1].total_centipoints;
    r.all.push_back({.rank = tied ? r.all.back().rank : static_cast<int>(i) + 1,
                     .score = std::move(scores[i])});
  }
  const size_t n = std::min(r.all.size(), static_cast<size_t>(std::max(list_size, 0)));
  r.red_list.assign(r.all.begin(), r.all.begin() + static_cast<std::ptrdiff_t>(n));
  r.black_list.assign(r.all.rbegin(), r.all.rbegin() + static_cast<std::ptrdiff_t>(n));
  for (const Ranked& x : r.red_list) {
    if (x.score.total_centipoints >= Centi(threshold) && x.score.red_lights == 0) {
      r.candidates.push_back(x);
    }
  }
  return r;
}

// --- Assessment -------------------------------------------------------------------------------

absl::Status Assessment::Bootstrap(Scheme s) {
  JIBAN_RETURN_IF_ERROR(Validate(s));
  return tx_.Run([&](Store& store) -> absl::Status {
    JIBAN_ASSIGN_OR_RETURN(int64_t latest, store.LatestSchemeVersion());
    if (latest > 0) return absl::OkStatus();
    s.version = 1;
    s.actor = "default";
    s.created = clock_.Now();
    JIBAN_RETURN_IF_ERROR(store.PutScheme(s));
    return store.Audit("scheme:1", "scheme_stored", "default", "the scheme that ships", s.created);
  });
}

absl::StatusOr<Scheme> Assessment::GetScheme(int64_t version, std::optional<absl::CivilDay> day) {
  if (version < 0) return InvalidArgument("INVALID_REQUEST", {{"version", "0 or more"}});
  std::optional<Scheme> s;
  if (version > 0) {
    JIBAN_ASSIGN_OR_RETURN(s, reader_.GetScheme(version));
  } else {
    JIBAN_ASSIGN_OR_RETURN(
        s,
        reader_.SchemeInForce(day ? *day : absl::ToCivilDay(clock_.Now(), calendar::CityZone())));
  }
  if (!s) return Error(absl::StatusCode::kNotFound, "SCHEME_NOT_FOUND", "no such scheme version");
  return *s;
}

absl::StatusOr<Scheme> Assessment::UpdateScheme(Scheme s, int64_t expected_version,
                                                const CallContext& call) {
  JIBAN_RETURN_IF_ERROR(Validate(s));
  const absl::Status done = tx_.Run([&](Store& store) -> absl::Status {
    JIBAN_ASSIGN_OR_RETURN(int64_t latest, store.LatestSchemeVersion());
    if (latest != expected_version) {
      return Error(absl::StatusCode::kAborted, "SCHEME_VERSION_MISMATCH",
                   "another scheme version was stored since; read it and try again");
    }
    s.version = latest + 1;
    s.actor = call.actor;
    s.created = clock_.Now();
    JIBAN_RETURN_IF_ERROR(store.PutScheme(s));
    return store.Audit(absl::StrCat("scheme:", s.version), "scheme_stored", call.actor,
                       absl::StrCat("effective from ", absl::FormatCivilTime(s.effective_from)),
                       s.created);
  });
  if (!done.ok()) return done;
  return s;
}

absl::StatusOr<Assessment::Scored> Assessment::Live(const Period& period,
                                                    const std::string& unit_id, Against keep) {
  Scored out{.period = period};
  JIBAN_ASSIGN_OR_RETURN(
      auto scheme, reader_.SchemeInForce(absl::ToCivilDay(out.period.start, calendar::CityZone())));
  if (!scheme) {
    return Precondition("NO_SCHEME", "no scoring scheme is effective for the period");
  }
  out.scheme = std::move(*scheme);
  out.as_of = std::min(out.period.end, clock_.Now());
  // One unit at a time, a page at a time: memory holds a page and the tallies.
  std::vector<std::string> units{unit_id};
  if (unit_id.empty()) {
    JIBAN_ASSIGN_OR_RETURN(units, reader_.UnitsWithFacts(out.period.start, out.period.end));
  }
  Scorer scorer(out.scheme, out.period, out.as_of, std::move(keep));
  for (const std::string& u : units) {
    JIBAN_RETURN_IF_ERROR(reader_.UnitFactsInPages(out.period.start, out.period.end, u, facts_page_,
                                                   [&](const UnitFacts& page, bool first) {
                                                     if (first) {
                                                       scorer.Start(page);
                                                     } else {
                                                       scorer.Add(page);
                                                     }
                                                     return absl::OkStatus();
                                                   }));
    if (!scorer.empty()) out.scores.push_back(scorer.Finish());
  }
  return out;
}

absl::StatusOr<std::vector<UnitScore>> Assessment::Current(const Period& period,
                                                           const std::string& unit_id) {
  JIBAN_ASSIGN_OR_RETURN(auto published, reader_.Published(period.key, unit_id, false));
  if (published) return *published;
  JIBAN_ASSIGN_OR_RETURN(Scored s, Live(period, unit_id, Against::None()));
  return std::move(s.scores);
}

namespace {
absl::Status CheckUnit(const std::string& unit_id) {
  if (unit_id.empty() || unit_id.size() > 64) {
    return InvalidArgument("INVALID_REQUEST", {{"unit_id", "required, at most 64 characters"}});
  }
  return absl::OkStatus();
}
absl::Status NotScored() {
  return Error(absl::StatusCode::kNotFound, "UNIT_NOT_SCORED",
               "the unit has no orders, lights or cases in the period");
}
}  // namespace

absl::StatusOr<UnitScore> Assessment::UnitScoreFor(const std::string& unit_id,
                                                   const std::string& period) {
  JIBAN_RETURN_IF_ERROR(CheckUnit(unit_id));
  JIBAN_ASSIGN_OR_RETURN(Period p, ParsePeriod(period));
  JIBAN_ASSIGN_OR_RETURN(auto scores, Current(p, unit_id));
  if (scores.empty()) return NotScored();
  return scores[0];
}

absl::StatusOr<Rankings> Assessment::RankClass(const std::string& period, UnitClass cls,
                                               int list_size) {
  Violations v;
  auto p = ParsePeriod(period);
  if (!p.ok()) v.Add("period", FieldViolationsOf(p.status())[0].description);
  const int c = static_cast<int>(cls);
  if (c < 1 || c > 5) v.Add("unit_class", "required: a known class");
  if (list_size < 0 || list_size > 50) v.Add("list_size", "between 0 and 50");
  if (!v.empty()) return v.Status();
  JIBAN_ASSIGN_OR_RETURN(auto scores, Current(*p, ""));
  std::erase_if(scores, [cls](const UnitScore& s) { return s.unit_class != cls; });
  if (scores.empty()) return Rankings{};
  JIBAN_ASSIGN_OR_RETURN(Scheme scheme, GetScheme(scores[0].scheme_version, std::nullopt));
  return Rank(std::move(scores), list_size == 0 ? 3 : list_size, scheme.commendation_threshold);
}

absl::StatusOr<std::vector<UnitScore>> Assessment::AllScores(const std::string& period) {
  JIBAN_ASSIGN_OR_RETURN(Period p, ParsePeriod(period));
  return Current(p, "");
}

absl::StatusOr<Explanation> Assessment::Explain(const std::string& unit_id,
                                                const std::string& period,
                                                const std::string& sub_item_id) {
  JIBAN_RETURN_IF_ERROR(CheckUnit(unit_id));
  JIBAN_ASSIGN_OR_RETURN(Period p, ParsePeriod(period));
  // A published score explains itself with the lists frozen with it; a live one is scored again
  // keeping this sub-item's list.
  JIBAN_ASSIGN_OR_RETURN(auto scores, reader_.Published(p.key, unit_id, true));
  if (!scores) {
    JIBAN_ASSIGN_OR_RETURN(Scored live, Live(p, unit_id, Against::Of(sub_item_id)));
    scores = std::move(live.scores);
  }
  if (scores->empty()) return NotScored();
  const UnitScore& score = scores->front();
  auto item = std::find_if(score.sub_items.begin(), score.sub_items.end(),
                           [&](const SubItemScore& s) { return s.id == sub_item_id; });
  if (item == score.sub_items.end()) {
    return InvalidArgument("INVALID_REQUEST", {{"sub_item_id", "a sub-item of the scheme used"}});
  }
  const absl::flat_hash_set<std::string> against(item->against.begin(), item->against.end());
  Explanation out;  // made on the first page (again if the read is retried)
  JIBAN_RETURN_IF_ERROR(reader_.UnitFactsInPages(
      p.start, p.end, unit_id, facts_page_, [&](const UnitFacts& page, bool first) {
        if (first) out = Explanation{.sub_item = *item, .scheme_version = score.scheme_version};
        absl::flat_hash_map<std::string, const Evaluation*> evaluations;
        for (const Evaluation& e : page.evaluations) evaluations[e.request_id] = &e;
        for (const OrderFacts& o : page.orders) {
          if (!against.contains(o.order_id)) continue;
          out.orders.push_back(o);
          auto e = evaluations.find(o.request_id);
          out.evaluations.push_back(e == evaluations.end() ? std::nullopt
                                                           : std::optional<Evaluation>(*e->second));
        }
        for (const LightFact& l : page.lights) {
          if (against.contains(l.light_id)) out.lights.push_back(l);
        }
        for (const CaseFact& c : page.cases) {
          if (against.contains(c.case_id)) out.cases.push_back(c);
        }
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<std::pair<int, int64_t>> Assessment::Publish(const std::string& period,
                                                            bool recompute,
                                                            const CallContext& call) {
  JIBAN_ASSIGN_OR_RETURN(Period p, ParsePeriod(period));
  // A publication freezes what lost points with the scores (ExplainScore reads them back).
  JIBAN_ASSIGN_OR_RETURN(Scored s, Live(p, "", Against::All()));
  if (s.period.end > clock_.Now()) {
    return Precondition("PERIOD_NOT_ENDED", "a period is published after it ends");
  }
  for (UnitScore& u : s.scores) u.published = true;
  const absl::Status done = tx_.Run([&](Store& store) -> absl::Status {
    JIBAN_ASSIGN_OR_RETURN(bool published, store.IsPublished(period));
    if (published && !recompute) {
      return Precondition("PERIOD_ALREADY_PUBLISHED",
                          "the period was published; ask for a recompute to replace it");
    }
    JIBAN_RETURN_IF_ERROR(store.ReplacePublished(period, s.scheme.version, s.scores, clock_.Now()));
    return store.Audit(absl::StrCat("period:", period), published ? "recomputed" : "published",
                       call.actor, absl::StrCat("scheme version ", s.scheme.version), clock_.Now());
  });
  if (!done.ok()) return done;
  return std::pair{static_cast<int>(s.scores.size()), s.scheme.version};
}

namespace {
std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}
std::string Points(int64_t centi) {
  return absl::StrFormat("%.2f", static_cast<double>(centi) / 100);
}
}  // namespace

absl::StatusOr<Report> Assessment::Export(const std::string& period, UnitClass cls) {
  JIBAN_ASSIGN_OR_RETURN(Rankings r, RankClass(period, cls, 0));
  Report out;
  std::string header = "rank,unit_id,unit,total";
  if (!r.all.empty()) {
    for (const ContentScore& c : r.all[0].score.contents) header += "," + CsvField(c.name);
    for (const SubItemScore& s : r.all[0].score.sub_items) {
      absl::StrAppend(&header, ",", s.id, " value,", s.id, " points");
    }
  }
  out.csv = header + "\n";
  const size_t n = r.all.size();
  std::vector<double> totals;
  std::vector<std::vector<double>> contents;
  std::vector<double> sub_points, sub_num, sub_den;
  for (const Ranked& x : r.all) {
    const UnitScore& u = x.score;
    std::string line = absl::StrCat(x.rank, ",", CsvField(u.unit_id), ",", CsvField(u.unit_name),
                                    ",", Points(u.total_centipoints));
    out.labels.push_back(u.unit_name);
    totals.push_back(static_cast<double>(u.total_centipoints) / 100);
    contents.resize(u.contents.size());
    for (size_t i = 0; i < u.contents.size(); ++i) {
      absl::StrAppend(&line, ",", Points(u.contents[i].centipoints));
      contents[i].push_back(static_cast<double>(u.contents[i].centipoints) / 100);
    }
    sub_points.resize(u.sub_items.size());
    sub_num.resize(u.sub_items.size());
    sub_den.resize(u.sub_items.size());
    for (size_t i = 0; i < u.sub_items.size(); ++i) {
      const SubItemScore& s = u.sub_items[i];
      absl::StrAppend(&line, ",", s.no_data ? "" : absl::StrFormat("%.4f", s.value), ",",
                      Points(s.centipoints));
      sub_points[i] += static_cast<double>(s.centipoints) / 100;
      sub_num[i] += s.numerator;
      sub_den[i] += s.denominator;
    }
    out.csv += line + "\n";
  }
  if (n > 0) {
    // The city-wide line: average points; rates pooled over every unit's orders.
    auto avg = [n](const std::vector<double>& v) {
      double sum = 0;
      for (double d : v) sum += d;
      return absl::StrFormat("%.2f", sum / static_cast<double>(n));
    };
    std::string line = absl::StrCat(",,", CsvField("全市 (city-wide)"), ",", avg(totals));
    for (const auto& c : contents) absl::StrAppend(&line, ",", avg(c));
    for (size_t i = 0; i < sub_points.size(); ++i) {
      const bool rate = sub_den[i] > 0;
      absl::StrAppend(&line, ",",
                      rate ? absl::StrFormat("%.4f", sub_num[i] / sub_den[i])
                           : absl::StrFormat("%.4f", sub_num[i] / static_cast<double>(n)),
                      ",", absl::StrFormat("%.2f", sub_points[i] / static_cast<double>(n)));
    }
    out.csv += line + "\n";
    for (size_t i = 0; i < contents.size(); ++i) {
      out.datasets.emplace_back(r.all[0].score.contents[i].name, contents[i]);
    }
    out.datasets.emplace_back("总分", totals);
  }
  return out;
}

absl::StatusOr<Objection> Assessment::File(Objection o, const CallContext& call) {
  Violations v;
  v.Length("request_id", call.request_id, 1, 64);
  const int kind = static_cast<int>(o.kind);
  if (kind < 1 || kind > 2) v.Add("objection.kind", "required: EXCLUSION or APPEAL");
  v.Length("objection.order_id", o.order_id, 1, 64);
  const bool appeal_reason =
      o.reason == ObjectionReason::kMalicious || o.reason == ObjectionReason::kMistakenRating;
  const bool exclusion_reason = o.reason == ObjectionReason::kUnreasonableDemand ||
                                o.reason == ObjectionReason::kMalicious ||
                                o.reason == ObjectionReason::kOutsidePower;
  if (o.kind == ObjectionKind::kAppeal && !appeal_reason) {
    v.Add("objection.reason", "an appeal is for a MALICIOUS or MISTAKEN_RATING rating");
  } else if (o.kind == ObjectionKind::kExclusion && !exclusion_reason) {
    v.Add("objection.reason",
          "an exclusion is for an UNREASONABLE_DEMAND, MALICIOUS or "
          "OUTSIDE_POWER matter");
  }
  v.Length("objection.note", o.note, 1, 1000);
  if (!v.empty()) return v.Status();
  const absl::Time now = clock_.Now();
  o.id = ids_.Next();
  o.state = ObjectionState::kPending;
  o.decision_note.clear();
  o.decided_by.clear();
  o.created = o.updated = now;
  const absl::Status done = tx_.Run([&](Store& s) -> absl::Status {
    JIBAN_ASSIGN_OR_RETURN(auto earlier, s.ClaimKey(call.request_id, o.id));
    if (earlier) {
      JIBAN_ASSIGN_OR_RETURN(auto found, s.GetObjection(*earlier));
      if (!found) return absl::InternalError("idempotency key names a missing objection");
      o = *found;
      return absl::OkStatus();
    }
    JIBAN_ASSIGN_OR_RETURN(auto order, s.GetOrder(o.order_id));
    if (!order || (!call.unit_id.empty() && order->unit_id != call.unit_id)) {
      return Error(absl::StatusCode::kNotFound, "ORDER_NOT_FOUND",
                   "assessment keeps no facts of that order");
    }
    o.unit_id = order->unit_id;
    o.request_id = order->request_id;
    if (o.kind == ObjectionKind::kAppeal) {
      JIBAN_ASSIGN_OR_RETURN(auto e, s.GetEvaluation(order->request_id));
      if (!e || !e->dissatisfied) {
        return Precondition("NOTHING_TO_APPEAL", "the request has no dissatisfied rating");
      }
    }
    JIBAN_RETURN_IF_ERROR(s.PutObjection(o, true));
    return s.Audit(o.id, o.kind == ObjectionKind::kAppeal ? "appeal_filed" : "exclusion_filed",
                   call.actor, o.note, now);
  });
  if (!done.ok()) return done;
  return o;
}

absl::StatusOr<Objection> Assessment::DecideOn(const std::string& id, Decision d,
                                               const std::string& note, const CallContext& call) {
  Violations v;
  v.Length("id", id, 1, 64);
  const int decision = static_cast<int>(d);
  if (decision < 1 || decision > 3) v.Add("decision", "required: APPROVE, REFUSE or REVERSE");
  v.Length("note", note, 1, 1000);
  if (!v.empty()) return v.Status();
  Objection o;
  const absl::Status done = tx_.Run([&](Store& s) -> absl::Status {
    JIBAN_ASSIGN_OR_RETURN(auto found, s.GetObjection(id));
    if (!found)
      return Error(absl::StatusCode::kNotFound, "OBJECTION_NOT_FOUND", "no such objection");
    o = *found;
    JIBAN_ASSIGN_OR_RETURN(o.state, Decide(o.state, d));
    o.decision_note = note;
    o.decided_by = call.actor;
    o.updated = clock_.Now();
    JIBAN_RETURN_IF_ERROR(s.PutObjection(o, false));
    const char* action = d == Decision::kApprove  ? "approved"
                         : d == Decision::kRefuse ? "refused"
                                                  : "reversed";
    return s.Audit(o.id, action, call.actor, note, o.updated);
  });
  if (!done.ok()) return done;
  return o;
}

absl::StatusOr<std::vector<Objection>> Assessment::Objections(const std::string& unit_id,
                                                              std::optional<ObjectionState> state,
                                                              int page_size,
                                                              const std::string& token,
                                                              std::string* next_token) {
  Violations v;
  if (unit_id.size() > 64) v.Add("unit_id", "at most 64 characters");
  const PageRequest request = CheckPage(page_size, token, 50, 200, v);
  if (!v.empty()) return v.Status();
  JIBAN_ASSIGN_OR_RETURN(auto list,
                         reader_.ListObjections(unit_id, state, request.after_id, request.fetch()));
  *next_token = CutPage(list, request, [](const Objection& o) { return o.id; });
  return list;
}

}  // namespace jiban::assessment
