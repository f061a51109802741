#include "services/routing/domain.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/clock/page.h"
#include "libs/status/macros.h"
#include "libs/status/status.h"

namespace jiban::routing {
namespace {

constexpr int kMaxRehandles = 2;
constexpr int kDefaultTriageDays = 10;

bool ValidId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return absl::ascii_isalnum(c) || c == '.' || c == '-' || c == '_';
  });
}

template <typename T>
bool AnyOrEmpty(const std::vector<T>& list, const T& v) {
  return list.empty() || std::find(list.begin(), list.end(), v) != list.end();
}

bool Active(OrderState s) {
  return s == OrderState::kDispatched || s == OrderState::kSignedFor || s == OrderState::kReplied;
}

absl::Status NotFound() {
  return Error(absl::StatusCode::kNotFound, "ORDER_NOT_FOUND", "no work order with this id");
}

void CheckCall(const CallContext& call, Violations& v) {
  if (call.request_id.empty() || call.request_id.size() > 64) {
    v.Add("request_id", "required, 1 to 64 characters");
  }
}

}  // namespace

bool MayComplainAboutUnits(Nature n) {
  return n == Nature::kComplaint || n == Nature::kReport || n == Nature::kCouldNotGetDone;
}

absl::StatusOr<std::shared_ptr<const Directory>> Directory::Build(std::vector<Unit> units) {
  auto d = std::make_shared<Directory>();
  std::sort(units.begin(), units.end(), [](const Unit& a, const Unit& b) { return a.id < b.id; });
  Violations v;
  for (size_t i = 0; i < units.size(); ++i) {
    const Unit& u = units[i];
    const std::string f = absl::StrCat("units[", i, "]");
    if (!ValidId(u.id)) v.Add(f + ".id", "required: letters, digits, '.', '-', '_', at most 64");
    if (!d->index_.emplace(u.id, i).second) v.Add(f + ".id", "duplicate id");
    v.Length(f + ".name", u.name, 1, 100);
    v.Length(f + ".person_answerable.name", u.answerable.name, 1, 50);
  }
  for (size_t i = 0; i < units.size(); ++i) {
    const Unit& u = units[i];
    if (u.parent_id.empty()) continue;
    if (!d->index_.contains(u.parent_id)) {
      v.Add(absl::StrCat("units[", i, "].parent_id"), "no unit with this id");
      continue;
    }
    d->children_[u.parent_id].push_back(u.id);
    // Walk up: a cycle returns to u within units.size() steps.
    std::string at = u.parent_id;
    for (size_t steps = 0; !at.empty() && steps <= units.size(); ++steps) {
      if (at == u.id) {
        v.Add(absl::StrCat("units[", i, "].parent_id"), "parents form a cycle");
        break;
      }
      auto it = d->index_.find(at);
      at = it == d->index_.end() ? "" : units[it->second].parent_id;
    }
  }
  if (!v.empty()) return v.Status();
  d->units_ = std::move(units);
  return std::shared_ptr<const Directory>(std::move(d));
}

const Unit* Directory::Find(const std::string& id) const {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &units_[it->second];
}

const Unit* Directory::ServingPlace(UnitKind kind, const std::string& code) const {
  if (code.empty()) return nullptr;
  for (const Unit& u : units_) {
    if (u.kind == kind && std::find(u.district_codes.begin(), u.district_codes.end(), code) !=
                              u.district_codes.end()) {
      return &u;
    }
  }
  return nullptr;
}

std::set<std::string> Directory::NamedWithDescendants(const std::string& text) const {
  std::set<std::string> out;
  std::vector<std::string> todo;
  for (const Unit& u : units_) {
    bool named = absl::StrContains(text, u.name);
    for (const std::string& a : u.aliases)
      named = named || (a.size() >= 6 && absl::StrContains(text, a));
    if (named) todo.push_back(u.id);
  }
  while (!todo.empty()) {
    std::string id = std::move(todo.back());
    todo.pop_back();
    if (!out.insert(id).second) continue;
    if (auto it = children_.find(id); it != children_.end()) {
      todo.insert(todo.end(), it->second.begin(), it->second.end());
    }
  }
  return out;
}

absl::Status ValidateDispatchList(const DispatchList& list, const Directory& directory) {
  Violations v;
  if (list.rules.empty()) v.Add("dispatch_list.rules", "at least one rule");
  if (list.min_confidence < 0 || list.min_confidence > 1) {
    v.Add("dispatch_list.min_confidence", "between 0 and 1");
  }
  std::set<std::string> ids;
  const auto unit_ok = [&](const std::string& id) {
    return id == kAtDistrict || id == kAtTown || directory.Find(id) != nullptr;
  };
  for (size_t i = 0; i < list.rules.size(); ++i) {
    const Rule& r = list.rules[i];
    const std::string f = absl::StrCat("dispatch_list.rules[", i, "]");
    if (!ValidId(r.id)) v.Add(f + ".id", "required: letters, digits, '.', '-', '_', at most 64");
    if (!ids.insert(r.id).second) v.Add(f + ".id", "duplicate rule id");
    if (!unit_ok(r.lead)) v.Add(f + ".lead_unit_id", "a unit id, @district or @town");
    for (size_t j = 0; j < r.co_handlers.size(); ++j) {
      if (!unit_ok(r.co_handlers[j])) {
        v.Add(absl::StrCat(f, ".co_handler_unit_ids[", j, "]"), "a unit id, @district or @town");
      }
    }
    if ((r.limit.working_days > 0) == (r.limit.natural_hours > 0) || r.limit.working_days > 60 ||
        r.limit.natural_hours > 720 || r.limit.working_days < 0 || r.limit.natural_hours < 0) {
      v.Add(f + ".time_limit", "exactly one of working_days (1..60) or natural_hours (1..720)");
    }
    if (r.sign_for_hours < 1 || r.sign_for_hours > 72) v.Add(f + ".sign_for_hours", "1 to 72");
    if (r.return_hours < 1 || r.return_hours > 168) v.Add(f + ".return_hours", "1 to 168");
  }
  return v.empty() ? absl::OkStatus() : v.Status();
}

Placement Place(const RequestFacts& facts, const std::string& category, double confidence,
                const DispatchList& list, const Directory& directory,
                const std::set<std::string>& excluded) {
  const std::string text = absl::StrCat(facts.title, "\n", facts.text);
  const std::string used_category = confidence >= list.min_confidence ? category : "";
  const auto resolve = [&](const std::string& id) -> const Unit* {
    if (id == kAtDistrict) return directory.ServingPlace(UnitKind::kDistrict, facts.district_code);
    if (id == kAtTown) return directory.ServingPlace(UnitKind::kTown, facts.town_code);
    return directory.Find(id);
  };
  bool conflict = false, no_place = false, needed_category = false;
  for (const Rule& rule : list.rules) {
    const RuleMatch& m = rule.match;
    if (!AnyOrEmpty(m.natures, facts.nature) ||
        !AnyOrEmpty(m.district_codes, facts.district_code)) {
      continue;
    }
    if (m.requester != RequesterKind::kAny &&
        (m.requester == RequesterKind::kEnterprise) != facts.enterprise) {
      continue;
    }
    if (!m.keywords.empty() &&
        std::none_of(m.keywords.begin(), m.keywords.end(),
                     [&](const std::string& k) { return absl::StrContains(text, k); })) {
      continue;
    }
    if (!m.categories.empty()) {
      if (used_category.empty()) {
        needed_category = true;
        continue;
      }
      if (!AnyOrEmpty(m.categories, used_category)) continue;
    }
    const Unit* lead = resolve(rule.lead);
    if (lead == nullptr) {
      no_place = true;
      continue;
    }
    if (excluded.count(lead->id) > 0) {
      conflict = true;
      continue;
    }
    Placement p{.rule = &rule, .triage_reason = "", .units = {lead}};
    for (const std::string& id : rule.co_handlers) {
      const Unit* u = resolve(id);
      if (u == nullptr || excluded.count(u->id) > 0 ||
          std::find(p.units.begin(), p.units.end(), u) != p.units.end()) {
        continue;
      }
      p.units.push_back(u);
    }
    return p;
  }
  Placement p;
  p.triage_reason = conflict          ? "CONFLICT_OF_INTEREST"
                    : no_place        ? "NO_UNIT_FOR_PLACE"
                    : needed_category ? "LOW_CONFIDENCE"
                                      : "NO_RULE";
  return p;
}

Routing::Routing(Transactor& tx, Reader& reader, ConfigRepository& config, Clock& clock,
                 IdGenerator& ids, std::shared_ptr<const calendar::WorkCalendar> calendar)
    : tx_(tx),
      reader_(reader),
      config_(config),
      clock_(clock),
      ids_(ids),
      calendar_(std::move(calendar)) {}

absl::Status Routing::LoadConfiguration(const std::vector<Unit>& file_units,
                                        const DispatchList& file_list, const std::string& source) {
  JIBAN_RETURN_IF_ERROR(Directory::Build(file_units).status());
  JIBAN_RETURN_IF_ERROR(config_.PutUnits(file_units, source).status());
  JIBAN_ASSIGN_OR_RETURN(auto units, config_.Units());
  JIBAN_ASSIGN_OR_RETURN(auto directory, Directory::Build(std::move(units)));
  JIBAN_RETURN_IF_ERROR(ValidateDispatchList(file_list, *directory));
  JIBAN_ASSIGN_OR_RETURN(DispatchList list, config_.PutList(file_list, source, -1));
  SetDirectory(std::move(directory));
  SetDispatchList(std::make_shared<const DispatchList>(std::move(list)));
  return absl::OkStatus();
}

absl::StatusOr<Unit> Routing::UpsertUnit(const Unit& unit, const std::string& actor) {
  std::vector<Unit> units = directory()->units();
  auto it =
      std::find_if(units.begin(), units.end(), [&](const Unit& u) { return u.id == unit.id; });
  if (it == units.end()) {
    units.push_back(unit);
  } else {
    *it = unit;
  }
  auto built = Directory::Build(units);
  if (!built.ok()) {
    // Name the field relative to the request (unit.*), not the whole directory.
    Violations v;
    for (const FieldViolation& f : FieldViolationsOf(built.status())) {
      const size_t dot = f.field.find('.');
      v.Add(absl::StrCat("unit", dot == std::string::npos ? "" : f.field.substr(dot)),
            f.description);
    }
    return v.Status();
  }
  JIBAN_RETURN_IF_ERROR(config_.PutUnits({unit}, actor).status());
  SetDirectory(*std::move(built));
  return unit;
}

absl::StatusOr<DispatchList> Routing::GetDispatchList(int64_t version) {
  if (version < 0) return InvalidArgument("INVALID_REQUEST", {{"version", "0 or a version"}});
  if (version == 0) return *dispatch_list();
  JIBAN_ASSIGN_OR_RETURN(auto found, config_.ListVersion(version));
  if (!found) {
    return Error(absl::StatusCode::kNotFound, "DISPATCH_LIST_NOT_FOUND", "no such version");
  }
  return *found;
}

absl::StatusOr<DispatchList> Routing::UpdateDispatchList(const DispatchList& list,
                                                         int64_t expected_version,
                                                         const std::string& actor) {
  JIBAN_RETURN_IF_ERROR(ValidateDispatchList(list, *directory()));
  JIBAN_ASSIGN_OR_RETURN(
      DispatchList stored,
      config_.PutList(list, actor, expected_version > 0 ? expected_version : -1));
  SetDispatchList(std::make_shared<const DispatchList>(stored));
  return stored;
}

void Routing::SetDirectory(std::shared_ptr<const Directory> d) {
  absl::MutexLock l(&mu_);
  directory_ = std::move(d);
}
void Routing::SetDispatchList(std::shared_ptr<const DispatchList> l) {
  absl::MutexLock lock(&mu_);
  list_ = std::move(l);
}
void Routing::SetClassifier(std::shared_ptr<const TextClassifier> c) {
  absl::MutexLock l(&mu_);
  classifier_ = std::move(c);
}
std::shared_ptr<const Directory> Routing::directory() const {
  absl::MutexLock l(&mu_);
  return directory_;
}
std::shared_ptr<const DispatchList> Routing::dispatch_list() const {
  absl::MutexLock l(&mu_);
  return list_;
}
std::shared_ptr<const TextClassifier> Routing::classifier() const {
  absl::MutexLock l(&mu_);
  return classifier_;
}

std::optional<Prediction> Routing::Classify(const std::string& text) const {
  auto c = classifier();
  if (!c) return std::nullopt;
  return c->Predict(text);
}

void Routing::Recompute(WorkOrder& o) const {
  if (o.limit.natural_hours > 0) {
    const absl::Time base = o.clock_start + absl::Hours(o.limit.natural_hours);
    o.deadline = o.extension_days > 0 ? calendar_->AddWorkingDays(base, o.extension_days) : base;
  } else {
    o.deadline = calendar_->AddWorkingDays(
        o.clock_start, o.limit.working_days + o.paused_working_days + o.extension_days);
  }
}

absl::StatusOr<std::vector<WorkOrder>> Routing::Dispatch(Store& s, RoutedRequest& r,
                                                         const Rule& rule,
                                                         const std::vector<const Unit*>& units,
                                                         absl::Time now, const CallContext& call) {
  if (!r.clock_start) r.clock_start = now;
  std::vector<WorkOrder> orders;
  for (size_t i = 0; i < units.size(); ++i) {
    WorkOrder o;
    o.id = ids_.Next();
    o.request_id = r.facts.id;
    o.tracking_number = r.facts.tracking_number;
    o.nature = r.facts.nature;
    o.unit_id = units[i]->id;
    o.unit_name = units[i]->name;
    o.unit_kind = units[i]->kind;
    o.district_code = r.facts.district_code;
    o.lead = i == 0;
    o.mode = rule.mode;
    o.rule_id = rule.id;
    if (rule.id == "triage") o.dispatch_note = rule.description;
    o.category = r.category;
    o.confidence = r.confidence;
    o.dispatch_time = now;
    o.clock_start = *r.clock_start;
    o.limit = rule.limit;
    o.sign_for_deadline = now + absl::Hours(rule.sign_for_hours);
    o.return_deadline = now + absl::Hours(rule.return_hours);
    o.paused_working_days = r.paused_working_days;
    o.answerable = units[i]->answerable;
    o.version = 1;
    o.update_time = now;
    Recompute(o);
    JIBAN_RETURN_IF_ERROR(s.PutOrder(o, 0));
    orders.push_back(std::move(o));
  }
  JIBAN_RETURN_IF_ERROR(s.Dispatched(orders, call));
  r.state = RequestState::kDispatched;
  r.triage_reason.clear();
  r.update_time = now;
  return orders;
}

absl::Status Routing::ToTriage(Store& s, RoutedRequest& r, const std::string& reason,
                               absl::Time now, const CallContext& call) {
  r.state = RequestState::kTriage;
  r.triage_reason = reason;
  r.update_time = now;
  return s.Triaged(r, call);
}

absl::Status Routing::OnSubmitted(Store& s, const RequestFacts& facts, const CallContext& call) {
  if (facts.answered) return absl::OkStatus();
  JIBAN_ASSIGN_OR_RETURN(auto existing, s.GetRequest(facts.id, true));
  if (existing.has_value()) return absl::OkStatus();  // placed before (a replayed event)
  const absl::Time now = clock_.Now();
  RoutedRequest r{.facts = facts, .update_time = now};
  if (!facts.master_id.empty()) {
    r.state = RequestState::kMerged;
    return s.PutRequest(r, /*insert=*/true);
  }
  const auto directory = this->directory();
  const auto list = dispatch_list();
  std::set<std::string> excluded;
  if (MayComplainAboutUnits(facts.nature)) {
    excluded = directory->NamedWithDescendants(absl::StrCat(facts.title, "\n", facts.text));
  }
  r.excluded_units.assign(excluded.begin(), excluded.end());
  if (auto p = Classify(absl::StrCat(facts.title, "。", facts.text))) {
    r.category = p->category;
    r.confidence = p->confidence;
  }
  Placement placement = Place(facts, r.category, r.confidence, *list, *directory, excluded);
  if (placement.rule == nullptr) {
    JIBAN_RETURN_IF_ERROR(ToTriage(s, r, placement.triage_reason, now, call));
  } else {
    JIBAN_RETURN_IF_ERROR(Dispatch(s, r, *placement.rule, placement.units, now, call).status());
  }
  return s.PutRequest(r, /*insert=*/true);
}

namespace {
// Cancels every active order of a request (withdrawn, merged away).
absl::Status CancelAll(Store& s, const std::vector<WorkOrder>& orders, absl::Time now,
                       const CallContext& call, int returns) {
  for (WorkOrder o : orders) {
    if (!Active(o.state)) continue;
    const int64_t before = o.version;
    o.state = OrderState::kCancelled;
    o.pause = PauseReason::kNone;
    o.version++;
    o.update_time = now;
    JIBAN_RETURN_IF_ERROR(s.PutOrder(o, before));
    JIBAN_RETURN_IF_ERROR(s.Changed({"cancelled", o, returns}, call));
  }
  return absl::OkStatus();
}
}  // namespace

absl::Status Routing::OnWithdrawn(Store& s, const std::string& request_id,
                                  const CallContext& call) {
  JIBAN_ASSIGN_OR_RETURN(auto r, s.GetRequest(request_id, true));
  if (!r.has_value() || r->state == RequestState::kFinished) return absl::OkStatus();
  const absl::Time now = clock_.Now();
  JIBAN_ASSIGN_OR_RETURN(auto orders, s.OrdersOfRequest(request_id, true));
  JIBAN_RETURN_IF_ERROR(CancelAll(s, orders, now, call, r->return_count));
  r->state = RequestState::kFinished;
  r->update_time = now;
  return s.PutRequest(*r, false);
}

absl::Status Routing::OnMerged(Store& s, const std::string& request_id, const CallContext& call) {
  JIBAN_ASSIGN_OR_RETURN(auto r, s.GetRequest(request_id, true));
  if (!r.has_value() || r->state == RequestState::kFinished || r->state == RequestState::kMerged) {
    return absl::OkStatus();
  }
  const absl::Time now = clock_.Now();
  JIBAN_ASSIGN_OR_RETURN(auto orders, s.OrdersOfRequest(request_id, true));
  JIBAN_RETURN_IF_ERROR(CancelAll(s, orders, now, call, r->return_count));
  r->state = RequestState::kMerged;  // handled as its master from now on
  r->update_time = now;
  return s.PutRequest(*r, false);
}

absl::Status Routing::OnUnmerged(Store& s, const std::string& request_id, const CallContext& call) {
  JIBAN_ASSIGN_OR_RETURN(auto r, s.GetRequest(request_id, true));
  if (!r.has_value() || r->state != RequestState::kMerged) return absl::OkStatus();
  JIBAN_RETURN_IF_ERROR(ToTriage(s, *r, "UNMERGED", clock_.Now(), call));
  return s.PutRequest(*r, false);
}

absl::Status Routing::OnEvaluated(Store& s, const std::string& request_id, bool dissatisfied,
                                  const CallContext& call) {
  JIBAN_ASSIGN_OR_RETURN(auto r, s.GetRequest(request_id, true));
  if (!r.has_value() || r->state != RequestState::kDispatched) return absl::OkStatus();
  const absl::Time now = clock_.Now();
  JIBAN_ASSIGN_OR_RETURN(auto orders, s.OrdersOfRequest(request_id, true));
  auto lead = std::find_if(orders.begin(), orders.end(), [](const WorkOrder& o) {
    return o.lead && o.state == OrderState::kReplied;
  });
  if (dissatisfied && lead != orders.end() && lead->rehandle_count < kMaxRehandles) {
    // 重办: the same unit handles it again, on a fresh clock.
    WorkOrder o = *lead;
    const int64_t before = o.version;
    o.state = OrderState::kSignedFor;
    o.rehandle_count++;
    o.reply.reset();
    o.clock_start = now;
    o.paused_working_days = 0;
    o.extension_days = 0;
    o.extension = {};
    Recompute(o);
    o.version++;
    o.update_time = now;
    JIBAN_RETURN_IF_ERROR(s.PutOrder(o, before));
    return s.Changed({"rehandled", o, r->return_count}, call);
  }
  for (WorkOrder o : orders) {
    if (o.state != OrderState::kReplied) continue;
    const int64_t before = o.version;
    o.state = OrderState::kClosed;
    o.version++;
    o.update_time = now;
    JIBAN_RETURN_IF_ERROR(s.PutOrder(o, before));
    JIBAN_RETURN_IF_ERROR(s.Changed({"closed", o, r->return_count}, call));
  }
  r->state = RequestState::kFinished;
  r->update_time = now;
  return s.PutRequest(*r, false);
}

absl::StatusOr<WorkOrder> Routing::Get(const std::string& id, const std::string& caller_unit) {
  if (id.empty() || id.size() > 64) {
    return InvalidArgument("INVALID_REQUEST", {{"id", "required, at most 64 characters"}});
  }
  JIBAN_ASSIGN_OR_RETURN(auto found, reader_.FindOrder(id));
  if (!found || (!caller_unit.empty() && found->unit_id != caller_unit)) return NotFound();
  return *found;
}

absl::StatusOr<Routing::Page> Routing::List(OrderQuery q, int page_size, const std::string& token) {
  Violations v;
  const PageRequest request = CheckPage(page_size, token, 20, 100, v);
  if (!v.empty()) return v.Status();
  q.before_id = request.after_id;
  q.limit = request.fetch();
  Page page;
  JIBAN_ASSIGN_OR_RETURN(page.orders, reader_.ListOrders(q));
  page.next_page_token = CutPage(page.orders, request, [](const WorkOrder& o) { return o.id; });
  return page;
}

absl::StatusOr<WorkOrder> Routing::Act(const std::string& order_id, const std::string& change_name,
                                       const CallContext& call, const Change& change) {
  WorkOrder result;
  const absl::Status done = tx_.Run([&](Store& s) -> absl::Status {
    JIBAN_ASSIGN_OR_RETURN(auto peek, s.GetOrder(order_id, false));
    if (!peek) return NotFound();
    // Lock order: the request first, then its orders (as the event consumer does).
    JIBAN_ASSIGN_OR_RETURN(auto r, s.GetRequest(peek->request_id, true));
    JIBAN_ASSIGN_OR_RETURN(auto o, s.GetOrder(order_id, true));
    if (!r || !o || (!call.unit_id.empty() && o->unit_id != call.unit_id)) return NotFound();
    JIBAN_ASSIGN_OR_RETURN(bool first, s.ClaimKey(call.request_id, order_id));
    if (!first) {  // a retry: the order as the first call left it (or as it is now)
      result = *o;
      return absl::OkStatus();
    }
    const absl::Time now = clock_.Now();
    const int64_t before = o->version;
    JIBAN_RETURN_IF_ERROR(change(*o, s, now));
    o->version = before + 1;
    o->update_time = now;
    JIBAN_RETURN_IF_ERROR(s.PutOrder(*o, before));
    // The request may have changed inside `change` (a return); re-read its count for the event.
    JIBAN_ASSIGN_OR_RETURN(auto after, s.GetRequest(o->request_id, false));
    JIBAN_RETURN_IF_ERROR(s.Changed({change_name, *o, after ? after->return_count : 0}, call));
    result = *o;
    return absl::OkStatus();
  });
  JIBAN_RETURN_IF_ERROR(done);
  return result;
}

namespace {
void CheckOrderCall(const std::string& order_id, const CallContext& call, Violations& v) {
  CheckCall(call, v);
  if (order_id.empty() || order_id.size() > 64)
    v.Add("order_id", "required, at most 64 characters");
}

absl::Status Want(const WorkOrder& o, OrderState s, absl::string_view reason,
                  absl::string_view what) {
  if (o.state == s) return absl::OkStatus();
  return Precondition(reason, what);
}
}  // namespace

absl::StatusOr<WorkOrder> Routing::SignFor(const std::string& order_id, const CallContext& call) {
  Violations v;
  CheckOrderCall(order_id, call, v);
  if (!v.empty()) return v.Status();
  return Act(order_id, "signed_for", call, [](WorkOrder& o, Store&, absl::Time now) {
    JIBAN_RETURN_IF_ERROR(Want(o, OrderState::kDispatched, "ORDER_NOT_DISPATCHED",
                               "only a dispatched order can be signed for"));
    o.state = OrderState::kSignedFor;
    o.sign_time = now;
    return absl::OkStatus();
  });
}

absl::StatusOr<WorkOrder> Routing::Return(const std::string& order_id, ReturnReason reason,
                                          const std::string& note, const CallContext& call) {
  Violations v;
  CheckOrderCall(order_id, call, v);
  if (reason == ReturnReason::kNone) v.Add("reason", "required");
  v.Length("note", note, 1, 500);
  if (!v.empty()) return v.Status();
  return Act(
      order_id, "returned", call, [&](WorkOrder& o, Store& s, absl::Time now) -> absl::Status {
        if (o.state != OrderState::kDispatched && o.state != OrderState::kSignedFor) {
          return Precondition("ORDER_NOT_RETURNABLE",
                              "only a dispatched or signed-for order can be returned");
        }
        if (now > o.return_deadline) {
          return Precondition("RETURN_WINDOW_CLOSED", "the time to return this order has passed");
        }
        o.state = OrderState::kReturned;
        o.return_reason = reason;
        o.return_note = note;
        return TakeAway(s, o, /*count_return=*/true, "RETURNED", now, call);
      });
}

absl::Status Routing::TakeAway(Store& s, WorkOrder& o, bool count_return, const std::string& reason,
                               absl::Time now, const CallContext& call) {
  o.pause = PauseReason::kNone;
  o.pause_time.reset();
  JIBAN_ASSIGN_OR_RETURN(auto r, s.GetRequest(o.request_id, true));
  if (!r) return NotFound();
  if (count_return) r->return_count++;
  r->paused_working_days = o.paused_working_days;
  if (o.lead) {
    // The request goes back to the triage desk; the co-handlers' orders end with it.
    JIBAN_ASSIGN_OR_RETURN(auto others, s.OrdersOfRequest(o.request_id, true));
    std::vector<WorkOrder> rest;
    for (const WorkOrder& x : others) {
      if (x.id != o.id) rest.push_back(x);
    }
    JIBAN_RETURN_IF_ERROR(CancelAll(s, rest, now, call, r->return_count));
    JIBAN_RETURN_IF_ERROR(ToTriage(s, *r, reason, now, call));
  }
  return s.PutRequest(*r, false);
}

absl::StatusOr<WorkOrder> Routing::Reassign(const std::string& order_id, const std::string& note,
                                            const CallContext& call) {
  Violations v;
  CheckOrderCall(order_id, call, v);
  v.Length("note", note, 1, 500);
  if (!v.empty()) return v.Status();
  return Act(order_id, "reassigned", call,
             [&](WorkOrder& o, Store& s, absl::Time now) -> absl::Status {
               if (!Active(o.state)) {
                 return Precondition("ORDER_NOT_ACTIVE", "only an open order can be reassigned");
               }
               o.state = OrderState::kCancelled;
               o.return_note = note;
               return TakeAway(s, o, /*count_return=*/false, "REASSIGN_ORDERED", now, call);
             });
}

absl::StatusOr<WorkOrder> Routing::RequestExtension(const std::string& order_id, int working_days,
                                                    const std::string& reason,
                                                    const CallContext& call) {
  Violations v;
  CheckOrderCall(order_id, call, v);
  if (working_days < 1 || working_days > 30) v.Add("working_days", "between 1 and 30");
  v.Length("reason", reason, 1, 500);
  if (!v.empty()) return v.Status();
  return Act(order_id, "extension_requested", call, [&](WorkOrder& o, Store&, absl::Time now) {
    JIBAN_RETURN_IF_ERROR(Want(o, OrderState::kSignedFor, "ORDER_NOT_IN_PROGRESS",
                               "only an order being handled can be extended"));
    if (o.pause != PauseReason::kNone) {
      return Precondition("ORDER_PAUSED", "the order is paused; resume it first");
    }
    o.extension = {.working_days = working_days,
                   .reason = reason,
                   .state = ExtensionState::kPending,
                   .decision_note = ""};
    o.pause = PauseReason::kExtensionReview;
    o.pause_time = now;
    return absl::OkStatus();
  });
}

absl::StatusOr<WorkOrder> Routing::DecideExtension(const std::string& order_id, bool approve,
                                                   const std::string& note,
                                                   const CallContext& call) {
  Violations v;
  CheckOrderCall(order_id, call, v);
  v.Length("note", note, 1, 500);
  if (!v.empty()) return v.Status();
  return Act(order_id, approve ? "extension_approved" : "extension_refused", call,
             [&](WorkOrder& o, Store&, absl::Time now) {
               // A request returned or taken away meanwhile has no extension left to decide.
               JIBAN_RETURN_IF_ERROR(Want(o, OrderState::kSignedFor, "ORDER_NOT_IN_PROGRESS",
                                          "only an order being handled can be extended"));
               if (o.extension.state != ExtensionState::kPending) {
                 return Precondition("NO_PENDING_EXTENSION",
                                     "no extension is waiting for a decision");
               }
               if (o.pause_time)
                 o.paused_working_days += calendar_->WorkingDaysTouched(*o.pause_time, now);
               o.pause = PauseReason::kNone;
               o.pause_time.reset();
               o.extension.state = approve ? ExtensionState::kApproved : ExtensionState::kRefused;
               o.extension.decision_note = note;
               if (approve) o.extension_days += o.extension.working_days;
               Recompute(o);
               return absl::OkStatus();
             });
}

absl::StatusOr<WorkOrder> Routing::Pause(const std::string& order_id, PauseReason reason,
                                         const CallContext& call) {
  Violations v;
  CheckOrderCall(order_id, call, v);
  if (reason != PauseReason::kAwaitingRequester) {
    v.Add("reason", "PAUSE_REASON_AWAITING_REQUESTER (extension reviews pause by themselves)");
  }
  if (!v.empty()) return v.Status();
  return Act(order_id, "paused", call, [&](WorkOrder& o, Store&, absl::Time now) {
    JIBAN_RETURN_IF_ERROR(Want(o, OrderState::kSignedFor, "ORDER_NOT_IN_PROGRESS",
                               "only an order being handled can be paused"));
    if (o.pause != PauseReason::kNone) return Precondition("ORDER_PAUSED", "already paused");
    if (o.limit.natural_hours > 0) {
      return Precondition("URGENT_ORDER", "an urgent order's clock cannot be paused");
    }
    o.pause = reason;
    o.pause_time = now;
    return absl::OkStatus();
  });
}

absl::StatusOr<WorkOrder> Routing::Resume(const std::string& order_id, const CallContext& call) {
  Violations v;
  CheckOrderCall(order_id, call, v);
  if (!v.empty()) return v.Status();
  return Act(order_id, "resumed", call, [&](WorkOrder& o, Store&, absl::Time now) {
    if (o.pause != PauseReason::kAwaitingRequester) {
      return Precondition("ORDER_NOT_PAUSED",
                          "not paused (an extension review ends with its decision)");
    }
    if (o.pause_time) o.paused_working_days += calendar_->WorkingDaysTouched(*o.pause_time, now);
    o.pause = PauseReason::kNone;
    o.pause_time.reset();
    Recompute(o);
    return absl::OkStatus();
  });
}

absl::StatusOr<WorkOrder> Routing::Reply(const std::string& order_id, Outcome outcome,
                                         const std::string& text, const CallContext& call) {
  Violations v;
  CheckOrderCall(order_id, call, v);
  if (static_cast<int>(outcome) < 1 || static_cast<int>(outcome) > 4)
    v.Add("reply.outcome", "required");
  v.Length("reply.text", text, 1, 2000);
  if (!v.empty()) return v.Status();
  return Act(order_id, "replied", call,
             [&](WorkOrder& o, Store& s, absl::Time now) -> absl::Status {
               JIBAN_RETURN_IF_ERROR(Want(o, OrderState::kSignedFor, "ORDER_NOT_IN_PROGRESS",
                                          "only a signed-for order can be replied to"));
               if (o.pause == PauseReason::kExtensionReview) {
                 return Precondition("EXTENSION_PENDING", "an extension is waiting for a decision");
               }
               if (o.lead) {
                 JIBAN_ASSIGN_OR_RETURN(auto all, s.OrdersOfRequest(o.request_id, false));
                 for (const WorkOrder& x : all) {
                   if (!x.lead &&
                       (x.state == OrderState::kDispatched || x.state == OrderState::kSignedFor)) {
                     return Precondition("CO_HANDLERS_PENDING",
                                         "every co-handler must reply its part first");
                   }
                 }
               }
               if (o.pause_time)
                 o.paused_working_days += calendar_->WorkingDaysTouched(*o.pause_time, now);
               o.pause = PauseReason::kNone;
               o.pause_time.reset();
               o.state = OrderState::kReplied;
               o.reply = ReplyInfo{.outcome = outcome, .text = text, .time = now};
               return absl::OkStatus();
             });
}

absl::StatusOr<Routing::TriagePage> Routing::ListTriage(int page_size, const std::string& token) {
  Violations v;
  const PageRequest request = CheckPage(page_size, token, 20, 100, v);
  if (!v.empty()) return v.Status();
  TriagePage page;
  JIBAN_ASSIGN_OR_RETURN(page.items, reader_.ListTriage(request.after_id, request.fetch()));
  page.next_page_token =
      CutPage(page.items, request, [](const RoutedRequest& r) { return r.facts.id; });
  return page;
}

absl::StatusOr<std::vector<WorkOrder>> Routing::Assign(const std::string& request_id,
                                                       const Assignment& a,
                                                       const CallContext& call) {
  Violations v;
  CheckCall(call, v);
  if (request_id.empty() || request_id.size() > 64) v.Add("item_request_id", "required");
  const auto directory = this->directory();
  std::vector<const Unit*> units;
  const auto add = [&](const std::string& field, const std::string& id) {
    const Unit* u = directory->Find(id);
    if (u == nullptr) {
      v.Add(field, "no unit with this id");
    } else if (std::find(units.begin(), units.end(), u) == units.end()) {
      units.push_back(u);
    }
  };
  add("lead_unit_id", a.lead);
  for (size_t i = 0; i < a.co_handlers.size(); ++i) {
    add(absl::StrCat("co_handler_unit_ids[", i, "]"), a.co_handlers[i]);
  }
  if ((a.limit.working_days > 0 && a.limit.natural_hours > 0) || a.limit.working_days < 0 ||
      a.limit.natural_hours < 0 || a.limit.working_days > 60 || a.limit.natural_hours > 720) {
    v.Add("time_limit", "at most one of working_days (1..60) or natural_hours (1..720)");
  }
  v.Length("note", a.note, 0, 500);
  if (!v.empty()) return v.Status();
  Rule rule{.id = "triage",
            .description = a.note,
            .match = {},
            .lead = a.lead,
            .co_handlers = a.co_handlers,
            .mode = a.mode,
            .limit = a.limit,
            .sign_for_hours = 24,
            .return_hours = 24};
  if (rule.limit.working_days == 0 && rule.limit.natural_hours == 0) {
    rule.limit.working_days = kDefaultTriageDays;
  }
  std::vector<WorkOrder> result;
  const absl::Status done = tx_.Run([&](Store& s) -> absl::Status {
    JIBAN_ASSIGN_OR_RETURN(auto r, s.GetRequest(request_id, true));
    if (!r) {
      return Error(absl::StatusCode::kNotFound, "REQUEST_NOT_FOUND", "routing has no such request");
    }
    JIBAN_ASSIGN_OR_RETURN(bool first, s.ClaimKey(call.request_id, request_id));
    if (!first) {
      JIBAN_ASSIGN_OR_RETURN(result, s.OrdersOfRequest(request_id, false));
      return absl::OkStatus();
    }
    if (r->state != RequestState::kTriage) {
      return Precondition("NOT_IN_TRIAGE", "the request is not waiting on the triage desk");
    }
    for (const Unit* u : units) {
      if (std::find(r->excluded_units.begin(), r->excluded_units.end(), u->id) !=
          r->excluded_units.end()) {
        return Precondition("UNIT_COMPLAINED_ABOUT",
                            "the request complains about this unit; it cannot handle it");
      }
    }
    const absl::Time now = clock_.Now();
    JIBAN_ASSIGN_OR_RETURN(result, Dispatch(s, *r, rule, units, now, call));
    return s.PutRequest(*r, false);
  });
  JIBAN_RETURN_IF_ERROR(done);
  return result;
}

absl::StatusOr<WorkOrder> Routing::DispatchBundlePart(const BundlePart& p,
                                                      const CallContext& call) {
  Violations v;
  CheckCall(call, v);
  v.Length("item_id", p.item_id, 1, 64);
  v.Length("tracking_number", p.tracking_number, 1, 32);
  v.Length("title", p.title, 1, 200);
  const auto directory = this->directory();
  const Unit* unit = directory->Find(p.unit_id);
  if (unit == nullptr) v.Add("unit_id", "no unit with this id");
  if (p.working_days < 1 || p.working_days > 60) v.Add("working_days", "between 1 and 60");
  v.Length("district_code", p.district_code, 0, 12);
  const absl::Time now = clock_.Now();
  if (p.receive_time == absl::InfinitePast() || p.receive_time > now + absl::Minutes(5)) {
    v.Add("receive_time", "required, not in the future");
  }
  if (!v.empty()) return v.Status();
  const Rule rule{.id = "bundle",
                  .description = "",
                  .match = {},
                  .lead = unit->id,
                  .co_handlers = {},
                  .mode = Mode::kHelp,
                  .limit = {.working_days = p.working_days},
                  .sign_for_hours = 24,
                  .return_hours = 24};
  WorkOrder result;
  const absl::Status done = tx_.Run([&](Store& s) -> absl::Status {
    JIBAN_ASSIGN_OR_RETURN(auto existing, s.GetRequest(p.item_id, true));
    if (existing.has_value()) {
      JIBAN_ASSIGN_OR_RETURN(auto orders, s.OrdersOfRequest(p.item_id, false));
      if (orders.empty()) {
        return Precondition("ITEM_NOT_A_BUNDLE_PART", "this item is a request, not a part");
      }
      result = orders.back();  // ids are time-ordered: the newest
      return absl::OkStatus();
    }
    RoutedRequest r{.facts = {.id = p.item_id,
                              .tracking_number = p.tracking_number,
                              .nature = Nature::kHelp,
                              .title = p.title,
                              .district_code = p.district_code,
                              .create_time = p.receive_time},
                    .clock_start = p.receive_time,
                    .update_time = now};
    JIBAN_ASSIGN_OR_RETURN(auto orders, Dispatch(s, r, rule, {unit}, now, call));
    result = orders.front();
    return s.PutRequest(r, /*insert=*/true);
  });
  if (!done.ok()) return done;
  return result;
}

}  // namespace jiban::routing
