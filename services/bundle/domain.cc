#include "services/bundle/domain.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/calendar/calendar.h"
#include "libs/clock/page.h"
#include "libs/crypto/sealer.h"
#include "libs/status/macros.h"
#include "libs/status/status.h"

namespace jiban::bundle {
namespace {

bool Transient(absl::StatusCode c) {
  return c == absl::StatusCode::kUnavailable || c == absl::StatusCode::kDeadlineExceeded ||
         c == absl::StatusCode::kAborted || c == absl::StatusCode::kResourceExhausted ||
         c == absl::StatusCode::kInternal || c == absl::StatusCode::kUnknown;
}

// The same request body gives the same fingerprint (the form is an ordered map; materials are
// sorted), so a retry is recognised and a reused key with another body is not.
std::string Fingerprint(const Submission& s, int64_t version) {
  std::vector<std::string> materials = s.material_ids;
  std::sort(materials.begin(), materials.end());
  std::string canonical = absl::StrCat(s.bundle_id, "\n", version, "\n", s.district_code, "\n",
                                       absl::StrJoin(materials, ","), "\n");
  for (const auto& [k, v] : s.form) absl::StrAppend(&canonical, k.size(), ":", k, v.size(), ":", v);
  return crypto::Sha256Hex(canonical);
}

bool AllDone(const Application& a) {
  return std::all_of(a.parts.begin(), a.parts.end(),
                     [](const Part& p) { return p.state == PartState::kDone; });
}

}  // namespace

std::optional<absl::Time> Application::DueTime() const {
  std::optional<absl::Time> due;
  for (const Part& p : parts) {
    if (!p.deadline) return std::nullopt;
    due = due ? std::max(*due, *p.deadline) : *p.deadline;
  }
  return due;
}

bool Application::Overdue(absl::Time now) const {
  const auto due = DueTime();
  if (!due) return false;
  return complete_time ? *complete_time > *due : now > *due;
}

std::string ItemId(const std::string& application_id, int index) {
  return absl::StrCat(application_id, "/", index);
}

std::optional<std::pair<std::string, int>> ParseItemId(const std::string& item_id) {
  const size_t slash = item_id.rfind('/');
  int index = 0;
  if (slash == std::string::npos || slash == 0 ||
      !absl::SimpleAtoi(absl::string_view(item_id).substr(slash + 1), &index) || index < 0) {
    return std::nullopt;
  }
  return std::pair{item_id.substr(0, slash), index};
}

bool ApplyNews(Application& a, int index, const OrderNews& n) {
  if (index < 0 || index >= static_cast<int>(a.parts.size())) return false;
  Part& p = a.parts[static_cast<size_t>(index)];
  const Part before = p;
  if (n.change == "dispatched") {
    // A new order (the first, or the triage desk's after a return) replaces the one followed.
    if (p.order_id == n.order_id && p.state != PartState::kPending) return false;
    p.order_id = n.order_id;
    p.unit_id = n.unit_id;
    p.state = PartState::kDispatched;
    p.failure_reason.clear();
  } else {
    if (!p.order_id.empty() && p.order_id != n.order_id) return false;  // an order left behind
    p.order_id = n.order_id;
    if (n.change == "signed_for" || n.change == "rehandled") {
      p.state = PartState::kInHandling;
      p.done_time.reset();
    } else if (n.change == "replied" || n.change == "closed") {
      if (p.state != PartState::kDone) p.done_time = n.at;
      p.state = PartState::kDone;
    } else if (n.change == "returned" || n.change == "reassigned" || n.change == "cancelled") {
      p.state = PartState::kRerouting;
    } else if (p.state == PartState::kPending) {
      p.state = PartState::kDispatched;  // news overtook the dispatch call's answer
    }
  }
  if (p.state != PartState::kRerouting) p.deadline = n.deadline;
  const bool changed = p.state != before.state || p.order_id != before.order_id ||
                       p.deadline != before.deadline || p.unit_id != before.unit_id;
  if (AllDone(a)) {
    if (a.state != ApplicationState::kCompleted) {
      a.state = ApplicationState::kCompleted;
      absl::Time last = absl::InfinitePast();
      for (const Part& x : a.parts) last = std::max(last, x.done_time.value_or(n.at));
      a.complete_time = last;
    }
  } else {
    a.state = ApplicationState::kInProgress;
    a.complete_time.reset();
  }
  return changed;
}

Bundles::Bundles(Transactor& tx, Reader& reader, Clock& clock, IdGenerator& ids,
                 PartDispatcher& dispatcher, std::function<void()> on_submitted)
    : tx_(tx),
      reader_(reader),
      clock_(clock),
      ids_(ids),
      dispatcher_(dispatcher),
      on_submitted_(std::move(on_submitted)) {}

void Bundles::Install(Catalogue c) {
  auto catalogue = std::make_shared<const Catalogue>(std::move(c));
  auto guide = std::make_shared<const Guide>(*catalogue);
  absl::MutexLock l(&mu_);
  in_force_ = {catalogue, guide};
  versions_[catalogue->version] = catalogue;
}

Bundles::InForce Bundles::in_force() const {
  absl::MutexLock l(&mu_);
  return in_force_;
}

absl::Status Bundles::LoadCatalogue(const Catalogue& file, const std::string& source) {
  JIBAN_RETURN_IF_ERROR(Validate(file));
  JIBAN_ASSIGN_OR_RETURN(Catalogue stored, reader_.PutCatalogue(file, source, -1));
  Install(std::move(stored));
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const Catalogue>> Bundles::GetCatalogue(int64_t version) {
  const InForce now = in_force();
  if (version == 0 || version == now.catalogue->version) return now.catalogue;
  {
    absl::MutexLock l(&mu_);
    if (auto it = versions_.find(version); it != versions_.end()) return it->second;
  }
  if (version < 0) {
    return InvalidArgument("INVALID_REQUEST", {{"catalogue_version", "0 or a stored version"}});
  }
  JIBAN_ASSIGN_OR_RETURN(auto found, reader_.CatalogueVersion(version));
  if (!found) {
    return InvalidArgument("INVALID_REQUEST", {{"catalogue_version", "no such version"}});
  }
  auto c = std::make_shared<const Catalogue>(std::move(*found));
  absl::MutexLock l(&mu_);
  versions_[version] = c;
  return c;
}

absl::StatusOr<Catalogue> Bundles::UpdateCatalogue(const Catalogue& c, int64_t expected_version,
                                                   const std::string& actor) {
  JIBAN_RETURN_IF_ERROR(Validate(c));
  JIBAN_ASSIGN_OR_RETURN(
      Catalogue stored,
      reader_.PutCatalogue(c, actor, expected_version == 0 ? -1 : expected_version));
  Install(stored);
  return stored;
}

absl::StatusOr<BundleView> Bundles::GetBundle(const std::string& bundle_id, int64_t version) {
  JIBAN_ASSIGN_OR_RETURN(auto c, GetCatalogue(version));
  const Bundle* b = c->FindBundle(bundle_id);
  if (b == nullptr) return Error(absl::StatusCode::kNotFound, "BUNDLE_NOT_FOUND", "no such bundle");
  BundleView view{.bundle = *b,
                  .matters = {},
                  .form = MergedForm(*c, *b),
                  .materials = MergedMaterials(*c, *b),
                  .savings = SavingsOf(*c, *b),
                  .catalogue_version = c->version};
  for (const std::string& id : b->matter_ids) view.matters.push_back(*c->FindMatter(id));
  return view;
}

absl::StatusOr<std::vector<GuideAnswer>> Bundles::Search(const std::string& query, int page_size) {
  Violations v;
  v.Length("query", query, 1, 300);
  if (page_size < 0 || page_size > 50) v.Add("page_size", "between 0 and 50");
  if (!v.empty()) return v.Status();
  const InForce now = in_force();
  std::vector<GuideAnswer> out;
  for (const GuideHit& h : now.guide->Search(query, page_size == 0 ? 10 : page_size)) {
    GuideAnswer a{.hit = h, .catalogue = now.catalogue};
    if (h.bundle) {
      a.bundle = now.catalogue->FindBundle(h.id);
      for (const MergedMaterial& m : MergedMaterials(*now.catalogue, *a.bundle)) {
        a.materials.push_back(m.material);
      }
      a.working_days = a.bundle->committed_working_days;
    } else {
      a.matter = now.catalogue->FindMatter(h.id);
      for (const std::string& id : a.matter->material_ids) {
        a.materials.push_back(*now.catalogue->FindMaterial(id));
      }
      a.working_days = a.matter->statutory_working_days;
    }
    out.push_back(std::move(a));
  }
  return out;
}

absl::StatusOr<Application> Bundles::Submit(const Submission& s, const CallContext& call) {
  Violations v;
  v.Length("request_id", call.request_id, 1, 64);
  v.Length("bundle_id", s.bundle_id, 1, 64);
  if (!s.district_code.empty() &&
      (s.district_code.size() != 6 ||
       !std::all_of(s.district_code.begin(), s.district_code.end(), absl::ascii_isdigit))) {
    v.Add("district_code", "6 digits when given");
  }
  if (!v.empty()) return v.Status();
  JIBAN_ASSIGN_OR_RETURN(auto catalogue, GetCatalogue(s.catalogue_version));
  const Bundle* b = catalogue->FindBundle(s.bundle_id);
  if (b == nullptr) {
    return InvalidArgument("INVALID_REQUEST",
                           {{"bundle_id", "no such bundle in this catalogue version"}});
  }
  const absl::Time now = clock_.Now();
  JIBAN_RETURN_IF_ERROR(CheckApplication(*catalogue, *b, s.form, s.material_ids,
                                         absl::ToCivilDay(now, calendar::CityZone())));
  const std::string fingerprint = Fingerprint(s, catalogue->version);
  JIBAN_ASSIGN_OR_RETURN(int64_t serial, reader_.NextSerial());

  Application a{.id = ids_.Next(),
                .tracking_number = calendar::DatedSerial("YJ", now, serial),
                .bundle_id = b->id,
                .bundle_name = b->name,
                .catalogue_version = catalogue->version,
                .district_code = s.district_code,
                .submit_time = now};
  for (const std::string& matter_id : b->matter_ids) {
    const Matter* m = catalogue->FindMatter(matter_id);
    a.parts.push_back({.index = static_cast<int>(a.parts.size()),
                       .matter_id = m->id,
                       .matter_name = m->name,
                       .unit_id = m->owner_unit_id,
                       // In parallel, each part within the bundle's committed limit.
                       .working_days = std::clamp(m->statutory_working_days, 1,
                                                  std::max(1, b->committed_working_days))});
  }
  for (const auto& [field, value] : s.form) a.form_field_ids.push_back(field);
  a.material_ids = s.material_ids;
  std::sort(a.material_ids.begin(), a.material_ids.end());

  bool created = false;
  const absl::Status done = tx_.Run([&](Store& st) -> absl::Status {
    created = false;
    const Store::Claim claim{.fingerprint = fingerprint, .application_id = a.id};
    JIBAN_ASSIGN_OR_RETURN(auto prior, st.ClaimKey(call.request_id, claim));
    if (prior) {
      if (prior->fingerprint != fingerprint) {
        return Error(absl::StatusCode::kAlreadyExists, "REQUEST_ID_REUSED",
                     "this request_id was used for another application");
      }
      JIBAN_ASSIGN_OR_RETURN(auto first, st.GetApplication(prior->application_id));
      if (!first) return absl::AbortedError("the first application is not visible yet; retry");
      a = std::move(*first);
      return absl::OkStatus();
    }
    Application fresh = a;
    JIBAN_RETURN_IF_ERROR(st.PutApplication(fresh, 0));
    JIBAN_RETURN_IF_ERROR(st.PutForm(fresh.id, s.form));
    JIBAN_RETURN_IF_ERROR(st.Submitted(fresh, call));
    a = std::move(fresh);
    created = true;
    return absl::OkStatus();
  });
  if (!done.ok()) return done;
  if (created && on_submitted_) on_submitted_();
  return a;
}

absl::StatusOr<Application> Bundles::Get(const std::string& id_or_tracking) {
  Violations v;
  v.Length("application_id", id_or_tracking, 1, 64);
  if (!v.empty()) return v.Status();
  JIBAN_ASSIGN_OR_RETURN(auto found, reader_.FindApplication(id_or_tracking));
  if (!found) {
    return Error(absl::StatusCode::kNotFound, "APPLICATION_NOT_FOUND", "no such application");
  }
  return *found;
}

absl::StatusOr<Bundles::Page> Bundles::List(ApplicationQuery q, int page_size,
                                            const std::string& token) {
  Violations v;
  const PageRequest request = CheckPage(page_size, token, 20, 100, v);
  v.Length("bundle_id", q.bundle_id, 0, 64);
  if (!v.empty()) return v.Status();
  q.before_id = request.after_id;
  q.limit = request.fetch();
  Page page;
  JIBAN_ASSIGN_OR_RETURN(page.applications, reader_.ListApplications(q));
  page.next_page_token =
      CutPage(page.applications, request, [](const Application& a) { return a.id; });
  return page;
}

absl::StatusOr<std::map<std::string, std::string>> Bundles::PartForm(
    const std::string& application_id, int index, const CallContext& call) {
  JIBAN_ASSIGN_OR_RETURN(Application a, Get(application_id));
  if (index < 0 || index >= static_cast<int>(a.parts.size())) {
    return InvalidArgument("INVALID_REQUEST", {{"part_index", "not a part of this application"}});
  }
  JIBAN_ASSIGN_OR_RETURN(auto catalogue, GetCatalogue(a.catalogue_version));
  const Matter* m = catalogue->FindMatter(a.parts[static_cast<size_t>(index)].matter_id);
  std::map<std::string, std::string> out;
  const absl::Status done = tx_.Run([&](Store& s) -> absl::Status {
    JIBAN_ASSIGN_OR_RETURN(auto form, s.GetForm(a.id));
    out.clear();
    for (const FormField& f : m->fields) {
      if (auto it = form.find(f.id); it != form.end()) out.insert(*it);
    }
    return s.Audit(a.id, absl::StrCat("read_part_form:", index), call.actor, clock_.Now());
  });
  if (!done.ok()) return done;
  return out;
}

absl::StatusOr<bool> Bundles::DispatchPart(const Application& a, const Part& p) {
  const std::string item = ItemId(a.id, p.index);
  auto sent = dispatcher_.Dispatch({.item_id = item,
                                    .tracking_number = a.tracking_number,
                                    .title = absl::StrCat(a.bundle_name, "：", p.matter_name),
                                    .unit_id = p.unit_id,
                                    .working_days = p.working_days,
                                    .district_code = a.district_code,
                                    .receive_time = a.submit_time});
  if (!sent.ok() && Transient(sent.status().code())) return sent.status();
  const absl::Status recorded = tx_.Run([&](Store& s) -> absl::Status {
    JIBAN_ASSIGN_OR_RETURN(auto stored, s.GetApplication(a.id));
    if (!stored) return absl::OkStatus();
    Part& part = stored->parts[static_cast<size_t>(p.index)];
    if (part.state != PartState::kPending) return absl::OkStatus();  // the event came first
    const int64_t version = stored->version;
    part.attempts++;
    if (sent.ok()) {
      part.state = PartState::kDispatched;
      part.order_id = sent->order_id;
      part.unit_id = sent->unit_id;
      part.deadline = sent->deadline;
    } else {
      part.state = PartState::kFailed;
      part.failure_reason = absl::StrCat(absl::StatusCodeToString(sent.status().code()), ": ",
                                         ReasonOf(sent.status()));
      for (const FieldViolation& f : FieldViolationsOf(sent.status())) {
        absl::StrAppend(&part.failure_reason, " ", f.field);
      }
    }
    return s.PutApplication(*stored, version);
  });
  if (!recorded.ok()) return recorded;
  return sent.ok();
}

absl::StatusOr<int> Bundles::DispatchPending(int limit) {
  JIBAN_ASSIGN_OR_RETURN(auto pending, reader_.PendingApplications(limit));
  int accepted = 0;
  absl::Status first_failure;
  for (const Application& a : pending) {
    for (const Part& p : a.parts) {
      if (p.state != PartState::kPending) continue;
      absl::StatusOr<bool> sent = DispatchPart(a, p);
      if (sent.ok()) {
        accepted += *sent ? 1 : 0;
      } else if (first_failure.ok()) {
        first_failure = sent.status();
      }
    }
  }
  if (accepted == 0 && !first_failure.ok()) return first_failure;
  return accepted;
}

absl::Status Bundles::OnOrder(Store& s, const OrderNews& news, const CallContext& call) {
  const auto item = ParseItemId(news.item_id);
  if (!item) return absl::OkStatus();
  JIBAN_ASSIGN_OR_RETURN(auto a, s.GetApplication(item->first));
  if (!a) return absl::OkStatus();  // not one of ours
  const int64_t version = a->version;
  const bool was_complete = a->state == ApplicationState::kCompleted;
  if (!ApplyNews(*a, item->second, news)) return absl::OkStatus();
  JIBAN_RETURN_IF_ERROR(s.PutApplication(*a, version));
  if (!was_complete && a->state == ApplicationState::kCompleted) {
    return s.Completed(*a, call);
  }
  return absl::OkStatus();
}

absl::Status Bundles::OnRequest(Store& s, const Signal& signal) { return s.PutSignal(signal); }

absl::Status Bundles::OnCategory(Store& s, const std::string& request_id,
                                 const std::string& category) {
  return s.SetCategory(request_id, category);
}

absl::StatusOr<std::vector<HotSpot>> Bundles::MineWindow(int window_days) {
  if (window_days < 1 || window_days > 90) {
    return InvalidArgument("INVALID_REQUEST", {{"window_days", "between 1 and 90"}});
  }
  const MinerOptions options{.window = absl::Hours(24) * window_days};
  const absl::Time now = clock_.Now();
  JIBAN_ASSIGN_OR_RETURN(
      auto signals, reader_.Signals(now - options.window * (1 + options.baseline_windows), now));
  return Mine(signals, now, options);
}

absl::StatusOr<std::vector<Bundles::HotSpotView>> Bundles::HotSpots(int window_days, int limit) {
  if (limit < 1 || limit > 100) {
    return InvalidArgument("INVALID_REQUEST", {{"page_size", "between 1 and 100"}});
  }
  JIBAN_ASSIGN_OR_RETURN(auto spots, MineWindow(window_days));
  std::vector<HotSpotView> out;
  for (HotSpot& h : spots) {
    if (static_cast<int>(out.size()) == limit) break;
    JIBAN_ASSIGN_OR_RETURN(auto decision, reader_.FindDecision(h.key));
    out.push_back({std::move(h), std::move(decision)});
  }
  return out;
}

absl::StatusOr<HotSpotDecision> Bundles::DecideHotSpot(const std::string& key, ActionKind action,
                                                       const std::string& note, int window_days,
                                                       const CallContext& call) {
  Violations v;
  v.Length("request_id", call.request_id, 1, 64);
  v.Length("hotspot_key", key, 1, 200);
  if (static_cast<int>(action) < 1 || static_cast<int>(action) > 3) v.Add("action", "required");
  v.Length("note", note, 0, 2000);
  if (!v.empty()) return v.Status();
  JIBAN_ASSIGN_OR_RETURN(auto spots, MineWindow(window_days));
  auto it =
      std::find_if(spots.begin(), spots.end(), [&](const HotSpot& h) { return h.key == key; });
  if (it == spots.end()) {
    return Error(absl::StatusCode::kNotFound, "HOTSPOT_NOT_FOUND",
                 "no such hot spot in this window (it may have cooled down)");
  }
  HotSpotDecision d{.id = ids_.Next(),
                    .spot = *it,
                    .action = action,
                    .note = note,
                    .actor = call.actor,
                    .decided_at = clock_.Now(),
                    .window = absl::Hours(24) * window_days};
  d.spot.member_ids.clear();
  const absl::Status done = tx_.Run([&](Store& s) -> absl::Status {
    JIBAN_ASSIGN_OR_RETURN(auto prior, s.GetDecision(key));
    if (prior) {
      if (prior->action != action) {
        return Precondition("HOTSPOT_ALREADY_DECIDED", "this hot spot was decided otherwise");
      }
      d = std::move(*prior);
      return absl::OkStatus();
    }
    JIBAN_RETURN_IF_ERROR(s.PutDecision(d));
    return s.Audit(key, absl::StrCat("decide_hotspot:", static_cast<int>(action)), call.actor,
                   d.decided_at);
  });
  if (!done.ok()) return done;
  return d;
}

absl::StatusOr<Bundles::DecisionPage> Bundles::Decisions(int page_size, const std::string& token) {
  Violations v;
  const PageRequest request = CheckPage(page_size, token, 20, 100, v);
  if (!v.empty()) return v.Status();
  JIBAN_ASSIGN_OR_RETURN(auto decisions, reader_.ListDecisions(request.after_id, request.fetch()));
  DecisionPage page;
  page.next_page_token = CutPage(decisions, request, [](const HotSpotDecision& d) { return d.id; });
  const absl::Time now = clock_.Now();
  const double min_similarity = MinerOptions().min_similarity;
  for (HotSpotDecision& d : decisions) {
    JIBAN_ASSIGN_OR_RETURN(auto signals,
                           reader_.Signals(d.decided_at - d.window, d.decided_at + d.window));
    const Effect effect = EffectOf(d, signals, now, min_similarity);
    page.decisions.push_back({std::move(d), effect});
  }
  return page;
}

}  // namespace jiban::bundle
