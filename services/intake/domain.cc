#include "services/intake/domain.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "libs/calendar/calendar.h"
#include "libs/clock/page.h"
#include "libs/pii/pii.h"
#include "libs/status/macros.h"
#include "libs/status/status.h"
#include "services/intake/store.h"

namespace jiban::intake {
namespace {

using pii::CodePoints;

bool IsDigits(const std::string& s, size_t len) {
  if (s.size() != len) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return true;
}

bool IsLowerHex(const std::string& s, size_t len) {
  if (s.size() != len) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

bool ValidRequestId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!(absl::ascii_isalnum(c) || c == '.' || c == '_' || c == ':' || c == '-')) return false;
  }
  return true;
}

void CheckAttachments(const std::string& field, const std::vector<Attachment>& list,
                      Violations& v) {
  if (list.size() > 20) v.Add(field, "at most 20 attachments");
  for (size_t i = 0; i < list.size() && i < 20; ++i) {
    const Attachment& a = list[i];
    const std::string f = absl::StrCat(field, "[", i, "]");
    if (!(absl::StartsWith(a.uri, "https://") || absl::StartsWith(a.uri, "s3://")) ||
        a.uri.size() > 2048) {
      v.Add(f + ".uri", "required, an https:// or s3:// URI of at most 2048 characters");
    }
    if (!IsLowerHex(a.sha256, 64)) v.Add(f + ".sha256", "64 lower-case hex characters");
    const size_t slash = a.media_type.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == a.media_type.size() ||
        a.media_type.size() > 100) {
      v.Add(f + ".media_type", "required, a media type such as image/jpeg");
    }
    if (a.size_bytes < 1 || a.size_bytes > 100 * 1024 * 1024) {
      v.Add(f + ".size_bytes", "between 1 and 104857600");
    }
  }
}

// Normalises a phone in place, or records why it is bad.
void NormalizePhoneField(const std::string& field, std::string& phone, Violations& v) {
  if (phone.empty()) {
    v.Add(field, "required");
    return;
  }
  auto p = pii::NormalizePhone(phone);
  if (!p.ok()) {
    v.Add(field, std::string(p.status().message()));
  } else {
    phone = p->number;
  }
}

bool AnonymousAllowed(Nature n) {
  return n == Nature::kSuggestion || n == Nature::kReport || n == Nature::kPraise ||
         n == Nature::kConsultation;
}

void Add(std::string& canon, const std::string& s) {
  absl::StrAppend(&canon, s.size(), ":", s, "|");
}

// Times are stored in milliseconds; truncating here makes what a call returns equal what a later
// read returns.
absl::Time NowMillis(const Clock& clock) {
  return absl::FromUnixMillis(absl::ToUnixMillis(clock.Now()));
}

}  // namespace

bool IsOpen(Status s) { return s == Status::kReceived || s == Status::kInProgress; }

std::optional<ProgressStep> StepFor(Status current, const RoutingProgress& p) {
  using K = RoutingProgress::Kind;
  if (current == Status::kWithdrawn || current == Status::kClosed) return std::nullopt;
  if (!p.lead) {
    if (p.kind == K::kDispatched)
      return ProgressStep{current, absl::StrCat(p.unit_name, " co-handles")};
    if (p.kind == K::kReplied)
      return ProgressStep{current, absl::StrCat(p.unit_name, " replied its part")};
    return std::nullopt;
  }
  switch (p.kind) {
    case K::kDispatched:
      return ProgressStep{Status::kInProgress, absl::StrCat("dispatched to ", p.unit_name)};
    case K::kSignedFor:
      return ProgressStep{current, absl::StrCat("signed for by ", p.unit_name)};
    case K::kReturned:
      return ProgressStep{Status::kInProgress,
                          absl::StrCat("returned by ", p.unit_name, "; being dispatched again")};
    case K::kReassigned:
      return ProgressStep{
          Status::kInProgress,
          absl::StrCat("taken from ", p.unit_name,
                       " on the discipline commission's order; being dispatched again")};
    case K::kReplied:
      return ProgressStep{Status::kAnswered, absl::StrCat("answered by ", p.unit_name)};
    case K::kRehandled:
      return ProgressStep{Status::kInProgress,
                          absl::StrCat("handled again by ", p.unit_name, " after the evaluation"),
                          /*clears_evaluation=*/true};
    case K::kClosed:
      return ProgressStep{Status::kClosed, "closed"};
  }
  return std::nullopt;
}

Districts Districts::Kaifeng() {
  // 开封市 (GB/T 2260): 龙亭区 顺河回族区 鼓楼区 禹王台区 祥符区 杞县 通许县 尉氏县 兰考县.
  return Districts(
      {"410202", "410203", "410204", "410205", "410212", "410221", "410222", "410223", "410225"});
}

absl::StatusOr<Request> NormalizeDraft(const std::string& request_id, const Request& draft,
                                       const Districts& districts, absl::CivilDay today) {
  Violations v;
  Request r = draft;
  if (!ValidRequestId(request_id)) {
    v.Add("request_id", "required, 1 to 64 of letters, digits and . _ : -");
  }
  const int channel = static_cast<int>(r.channel);
  if (channel <= 0 || channel > kMaxChannel) v.Add("request.channel", "required");
  const int nature = static_cast<int>(r.nature);
  const bool nature_ok = nature > 0 && nature <= kMaxNature;
  if (!nature_ok) v.Add("request.nature", "required");
  v.Length("request.title", r.title, 1, 100);
  v.Length("request.text", r.text, 1, 5000);

  Location& loc = r.location;
  if (!IsDigits(loc.district_code, 6) || !districts.Contains(loc.district_code)) {
    v.Add("request.location.district_code", "required, a district this city serves");
  }
  if (!loc.town_code.empty() && ((!IsDigits(loc.town_code, 9) && !IsDigits(loc.town_code, 12)) ||
                                 loc.town_code.compare(0, 6, loc.district_code) != 0)) {
    v.Add("request.location.town_code", "a 9- or 12-digit code within the district");
  }
  v.Length("request.location.address", loc.address, 0, 200);
  if (loc.latitude.has_value() != loc.longitude.has_value()) {
    v.Add("request.location.point", "latitude and longitude go together");
  } else if (loc.latitude.has_value() && !(*loc.latitude >= -90 && *loc.latitude <= 90 &&
                                           *loc.longitude >= -180 && *loc.longitude <= 180)) {
    v.Add("request.location.point", "latitude must be in -90..90, longitude in -180..180");
  }

  Requester& who = r.requester;
  switch (who.kind) {
    case Requester::Kind::kCitizen: {
      Citizen& c = who.citizen;
      c.name = std::string(absl::StripAsciiWhitespace(c.name));
      v.Length("request.requester.citizen.name", c.name, 1, 50);
      NormalizePhoneField("request.requester.citizen.phone", c.phone, v);
      if (!c.id_number.empty()) {
        auto id = pii::NormalizeIdNumber(c.id_number, today);
        if (!id.ok()) {
          v.Add("request.requester.citizen.id_number", std::string(id.status().message()));
        } else {
          c.id_number = id->number;
        }
      }
      break;
    }
    case Requester::Kind::kEnterprise: {
      Enterprise& e = who.enterprise;
      v.Length("request.requester.enterprise.name", e.name, 1, 100);
      auto code = pii::NormalizeCreditCode(e.credit_code);
      if (!code.ok()) {
        v.Add("request.requester.enterprise.credit_code", std::string(code.status().message()));
      } else {
        e.credit_code = *code;
      }
      v.Length("request.requester.enterprise.contact_name", e.contact_name, 1, 50);
      NormalizePhoneField("request.requester.enterprise.contact_phone", e.contact_phone, v);
      break;
    }
    case Requester::Kind::kAnonymous:
      if (nature_ok && !AnonymousAllowed(r.nature)) {
        v.Add("request.requester.anonymous",
              "only suggestions, reports, praise and consultations may be anonymous");
      }
      if (r.confidential) {
        v.Add("request.confidential", "an anonymous request has no identity to keep confidential");
      }
      break;
    case Requester::Kind::kUnspecified:
      v.Add("request.requester", "required: a citizen, an enterprise, or anonymous");
      break;
  }

  CheckAttachments("request.attachments", r.attachments, v);
  if (!r.answer.empty()) {
    if (r.nature != Nature::kConsultation) {
      v.Add("request.answer", "only a consultation is answered on the spot");
    }
    v.Length("request.answer", r.answer, 0, 5000);
  }
  if (!r.guide_entry_id.empty() && r.answer.empty()) {
    v.Add("request.guide_entry_id", "only with an answer");
  }
  v.Length("request.guide_entry_id", r.guide_entry_id, 0, 64);
  if (r.nature == Nature::kHelp) {
    if (!r.help.has_value()) {
      v.Add("request.help", "required for help and proxy handling");
    } else {
      v.Length("request.help.helper_post_id", r.help->helper_post_id, 1, 64);
      v.Length("request.help.actions", r.help->actions, 1, 1000);
    }
  } else if (r.help.has_value()) {
    v.Add("request.help", "only for help and proxy handling");
  }
  if (!v.empty()) return v.Status();
  return r;
}

std::string Canonical(const Request& d) {
  std::string c;
  Add(c, absl::StrCat(static_cast<int>(d.channel), ",", static_cast<int>(d.nature), ",",
                      static_cast<int>(d.requester.kind), ",", d.confidential));
  for (const std::string* s :
       {&d.title, &d.text, &d.location.district_code, &d.location.town_code, &d.location.address,
        &d.requester.citizen.name, &d.requester.citizen.phone, &d.requester.citizen.id_number,
        &d.requester.enterprise.name, &d.requester.enterprise.credit_code,
        &d.requester.enterprise.contact_name, &d.requester.enterprise.contact_phone, &d.answer,
        &d.guide_entry_id}) {
    Add(c, *s);
  }
  Add(c, d.location.latitude
             ? absl::StrFormat("%.9f,%.9f", *d.location.latitude, *d.location.longitude)
             : "-");
  Add(c, d.help ? absl::StrCat(d.help->helper_post_id, "\x1f", d.help->actions) : "-");
  for (const Attachment& a : d.attachments) {
    Add(c, absl::StrCat(a.uri, "\x1f", a.sha256, "\x1f", a.media_type, "\x1f", a.size_bytes));
  }
  // Another requester's retry of the same key is another body (and requests stored before
  // requesters were recorded keep their fingerprints).
  if (!d.submitter.empty()) Add(c, "submitter:" + d.submitter);
  return c;
}

std::string TrackingNumber(absl::Time received, int64_t serial) {
  return calendar::DatedSerial("JB", received, serial);
}

bool DuplicateEligible(Nature n) {
  return n == Nature::kComplaint || n == Nature::kReport || n == Nature::kSuggestion ||
         n == Nature::kCouldNotGetDone;
}

Shingles ShinglesOf(const std::string& s) { return pii::Bigrams(s); }

double Similarity(const Shingles& x, const Shingles& y) {
  if (x.empty() && y.empty()) return 1.0;
  size_t common = 0;
  for (auto i = x.begin(), j = y.begin(); i != x.end() && j != y.end();) {
    if (*i < *j) {
      ++i;
    } else if (*j < *i) {
      ++j;
    } else {
      ++common;
      ++i;
      ++j;
    }
  }
  return static_cast<double>(common) / static_cast<double>(x.size() + y.size() - common);
}

Signature SignatureOf(const Shingles& shingles) { return pii::MinHash(shingles, kSignatureSize); }

double TextSimilarity(const std::string& a, const std::string& b) {
  return Similarity(ShinglesOf(a), ShinglesOf(b));
}

double DistanceMetres(double lat1, double lon1, double lat2, double lon2) {
  constexpr double kEarth = 6371000.0, kRad = M_PI / 180.0;
  const double dlat = (lat2 - lat1) * kRad, dlon = (lon2 - lon1) * kRad;
  const double h =
      std::sin(dlat / 2) * std::sin(dlat / 2) +
      std::cos(lat1 * kRad) * std::cos(lat2 * kRad) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarth * std::asin(std::min(1.0, std::sqrt(h)));
}

namespace {

// The similarity `c` must reach to be a duplicate of `in`, by how well their places match.
double Needed(const DuplicateCandidate& in, const DuplicateCandidate& c,
              const DuplicatePolicy& policy) {
  const bool same_place = (!in.town_code.empty() && in.town_code == c.town_code) ||
                          (!in.address_key.empty() && in.address_key == c.address_key) ||
                          (in.latitude && c.latitude &&
                           DistanceMetres(*in.latitude, *in.longitude, *c.latitude, *c.longitude) <=
                               policy.max_distance_m);
  return same_place ? policy.min_similarity : policy.min_similarity_district_only;
}

}  // namespace

std::optional<double> Screen(const DuplicateCandidate& in, const DuplicateCandidate& c,
                             const DuplicatePolicy& policy) {
  // Cheapest test first: most open requests are about something else.
  const double estimate = pii::MinHashSimilarity(in.signature, c.signature);
  if (estimate < std::min(policy.min_similarity, policy.min_similarity_district_only) -
                     policy.screening_margin) {
    return std::nullopt;
  }
  if (in.create_time - c.create_time > policy.window || c.id == in.id) return std::nullopt;
  if (estimate < Needed(in, c, policy) - policy.screening_margin) return std::nullopt;
  return estimate;
}

void ShortlistBuilder::Offer(double score, const DuplicateCandidate& c) {
  if (best_.size() == limit_ && score <= best_.back().first) return;
  auto pos =
      std::find_if(best_.begin(), best_.end(), [score](const auto& e) { return score > e.first; });
  best_.insert(pos, {score, c});
  if (best_.size() > limit_) best_.pop_back();
}

std::vector<DuplicateCandidate> ShortlistBuilder::Take() && {
  std::vector<DuplicateCandidate> out;
  for (auto& [score, c] : best_) out.push_back(std::move(c));
  return out;
}

std::vector<DuplicateCandidate> Shortlist(const DuplicateCandidate& in,
                                          const std::vector<DuplicateCandidate>& open,
                                          const DuplicatePolicy& policy, size_t limit) {
  ShortlistBuilder best(limit);
  for (const auto& c : open) {
    if (auto score = Screen(in, c, policy)) best.Offer(*score, c);
  }
  return std::move(best).Take();
}

std::optional<std::string> FindMaster(const DuplicateCandidate& in,
                                      const std::vector<DuplicateCandidate>& open,
                                      const DuplicatePolicy& policy) {
  const Shingles in_shingles = in.shingles.empty() ? ShinglesOf(in.title + in.text) : in.shingles;
  double best = 0;
  const DuplicateCandidate* match = nullptr;
  for (const auto& c : open) {
    if (c.id == in.id || in.create_time - c.create_time > policy.window) continue;
    const double needed = Needed(in, c, policy);
    const double sim =
        Similarity(in_shingles, c.shingles.empty() ? ShinglesOf(c.title + c.text) : c.shingles);
    if (sim >= needed && sim > best) {
      best = sim;
      match = &c;
    }
  }
  if (match == nullptr) return std::nullopt;
  return match->master_id.empty() ? match->id : match->master_id;
}

absl::StatusOr<Request> Intake::Submit(const std::string& request_id, const Request& draft,
                                       const CallContext& call) {
  const absl::Time now = NowMillis(clock_);
  JIBAN_ASSIGN_OR_RETURN(Request r, NormalizeDraft(request_id, draft, districts_,
                                                   absl::ToCivilDay(now, calendar::CityZone())));
  r.submitter = call.owner;
  const std::string canonical = Canonical(r);
  auto replay = [&]() -> absl::StatusOr<Request> {
    JIBAN_ASSIGN_OR_RETURN(auto stored, store_.FindByRequestId(request_id, canonical));
    if (!stored.has_value()) {
      return absl::AbortedError("request id vanished while resolving a duplicate; retry");
    }
    if (!stored->same_body) {
      return Error(absl::StatusCode::kAlreadyExists, "REQUEST_ID_REUSED",
                   "request_id was already used for a different request");
    }
    return stored->request;
  };

  r.id = ids_.Next();
  r.create_time = now;
  r.update_time = now;
  r.status = (r.nature == Nature::kConsultation && !r.answer.empty()) ? Status::kAnswered
                                                                      : Status::kReceived;
  Shingles shingles = ShinglesOf(r.title + r.text);
  const Signature signature = SignatureOf(shingles);
  if (r.status == Status::kReceived && DuplicateEligible(r.nature)) {
    DuplicateCandidate in{.id = r.id,
                          .town_code = r.location.town_code,
                          .address_key = store_.AddressKey(r.location.address),
                          .latitude = r.location.latitude,
                          .longitude = r.location.longitude,
                          .title = r.title,
                          .text = r.text,
                          .create_time = now,
                          .shingles = std::move(shingles),
                          .signature = signature};
    // Screen by signature, then compare the few survivors' full texts.
    JIBAN_ASSIGN_OR_RETURN(auto shortlist,
                           store_.DuplicateShortlist(r.location.district_code, in, duplicates_));
    if (!shortlist.empty()) {
      JIBAN_RETURN_IF_ERROR(store_.FillTexts(shortlist));
      if (auto master = FindMaster(in, shortlist, duplicates_)) r.master_id = *master;
    }
  }
  // Insert first: the unique key on request_id catches a retry (or a racing duplicate) without an
  // extra read on the common path.
  auto created = store_.Create(request_id, canonical, r, signature, call);
  if (created.status().code() == absl::StatusCode::kAlreadyExists &&
      ReasonOf(created.status()) == "DUPLICATE_REQUEST_ID") {
    return replay();
  }
  return created;
}

namespace {
// A request that is not the calling requester's does not exist for it.
absl::Status Owns(const Request& r, const std::string& owner) {
  if (owner.empty() || r.submitter == owner) return absl::OkStatus();
  return Error(absl::StatusCode::kNotFound, "REQUEST_NOT_FOUND", "no request with this id");
}
}  // namespace

absl::StatusOr<Request> Intake::Existing(const std::string& id, const std::string& owner) {
  if (id.empty() || id.size() > 64) {
    return InvalidArgument("INVALID_REQUEST", {{"id", "required, at most 64 characters"}});
  }
  JIBAN_ASSIGN_OR_RETURN(auto found, store_.Get(id));
  if (!found.has_value()) {
    return Error(absl::StatusCode::kNotFound, "REQUEST_NOT_FOUND", "no request with this id");
  }
  JIBAN_RETURN_IF_ERROR(Owns(*found, owner));
  return *found;
}

absl::StatusOr<Request> Intake::Get(const std::string& id, const std::string& owner) {
  return Existing(id, owner);
}

absl::StatusOr<Intake::Page> Intake::List(const ListFilter& f, int page_size,
                                          const std::string& token) {
  Violations v;
  const PageRequest request = CheckPage(page_size, token, 20, 100, v);
  ListQuery q;
  q.limit = request.fetch();
  q.before_id = request.after_id;
  q.filter = f;
  if (static_cast<int>(f.status) < 0 || static_cast<int>(f.status) > 5) v.Add("status", "unknown");
  if (static_cast<int>(f.nature) < 0 || static_cast<int>(f.nature) > kMaxNature) {
    v.Add("nature", "unknown");
  }
  if (static_cast<int>(f.channel) < 0 || static_cast<int>(f.channel) > kMaxChannel) {
    v.Add("channel", "unknown");
  }
  if (!f.district_code.empty() && !IsDigits(f.district_code, 6)) {
    v.Add("district_code", "a 6-digit code");
  }
  if (f.from && f.to && *f.from >= *f.to) {
    v.Add("create_time_to", "must be after create_time_from");
  }
  if (!f.requester_phone.empty()) {
    auto p = pii::NormalizePhone(f.requester_phone);
    if (!p.ok()) {
      v.Add("requester_phone", std::string(p.status().message()));
    } else {
      q.filter.requester_phone = p->number;
    }
  }
  if (!v.empty()) return v.Status();
  Page page;
  JIBAN_ASSIGN_OR_RETURN(page.requests, store_.List(q));
  page.next_page_token = CutPage(page.requests, request, [](const Request& r) { return r.id; });
  return page;
}

absl::StatusOr<Intake::Track> Intake::TrackByNumber(const std::string& tracking_number) {
  if (tracking_number.size() != 18 || tracking_number.rfind("JB", 0) != 0 ||
      !IsDigits(tracking_number.substr(2), 16)) {
    return InvalidArgument("INVALID_REQUEST",
                           {{"tracking_number", "JB followed by 16 digits, as given on receipt"}});
  }
  JIBAN_ASSIGN_OR_RETURN(auto found, store_.GetByTrackingNumber(tracking_number));
  if (!found.has_value()) {
    return Error(absl::StatusCode::kNotFound, "REQUEST_NOT_FOUND",
                 "no request with this tracking number");
  }
  Track t{found->tracking_number, found->status, {}};
  t.timeline.push_back({found->create_time, Status::kReceived, "received"});
  if (found->status == Status::kAnswered && !found->answer.empty()) {
    t.timeline.push_back({found->create_time, Status::kAnswered, "answered on the spot"});
  }
  JIBAN_ASSIGN_OR_RETURN(auto own, store_.History(found->id));
  t.timeline.insert(t.timeline.end(), own.begin(), own.end());
  if (!found->master_id.empty()) {
    // A duplicate follows its master: its status, and what happened to the master since.
    JIBAN_ASSIGN_OR_RETURN(auto master, store_.Get(found->master_id));
    if (master.has_value()) {
      t.status = master->status;
      JIBAN_ASSIGN_OR_RETURN(auto theirs, store_.History(master->id));
      for (auto& e : theirs) {
        e.description =
            absl::StrCat("handled together with ", master->tracking_number, ": ", e.description);
        t.timeline.push_back(std::move(e));
      }
    }
  }
  std::stable_sort(t.timeline.begin(), t.timeline.end(),
                   [](const TimelineEntry& a, const TimelineEntry& b) { return a.time < b.time; });
  return t;
}

absl::StatusOr<Request> Intake::AddSupplement(const std::string& request_id, const std::string& id,
                                              const Supplement& supplement,
                                              const CallContext& call) {
  Violations v;
  if (!ValidRequestId(request_id)) {
    v.Add("request_id", "required, 1 to 64 of letters, digits and . _ : -");
  }
  if (id.empty()) v.Add("id", "required");
  v.Length("supplement.text", supplement.text, 0, 2000);
  CheckAttachments("supplement.attachments", supplement.attachments, v);
  if (supplement.text.empty() && supplement.attachments.empty()) {
    v.Add("supplement", "text or at least one attachment is required");
  }
  if (!v.empty()) return v.Status();
  const absl::Time now = NowMillis(clock_);
  Supplement s = supplement;
  s.create_time = now;
  JIBAN_ASSIGN_OR_RETURN(
      auto out, store_.Update(
                    {id},
                    [&](const Request& cur) -> absl::StatusOr<Mutation> {
                      JIBAN_RETURN_IF_ERROR(Owns(cur, call.owner));
                      if (cur.status == Status::kWithdrawn || cur.status == Status::kClosed) {
                        return Precondition("REQUEST_FINISHED",
                                            "a withdrawn or closed request cannot be supplemented");
                      }
                      return Mutation{.kind = Mutation::Kind::kSupplement,
                                      .status = cur.status,
                                      .supplement = s,
                                      .description = "supplemented"};
                    },
                    now, request_id, call));
  return out.front();
}

absl::StatusOr<Request> Intake::Withdraw(const std::string& id, const std::string& reason,
                                         const CallContext& call) {
  Violations v;
  if (id.empty()) v.Add("id", "required");
  v.Length("reason", reason, 0, 500);
  if (!v.empty()) return v.Status();
  const absl::Time now = NowMillis(clock_);
  JIBAN_ASSIGN_OR_RETURN(
      auto out, store_.Update(
                    {id},
                    [&](const Request& cur) -> absl::StatusOr<Mutation> {
                      JIBAN_RETURN_IF_ERROR(Owns(cur, call.owner));
                      if (cur.status == Status::kWithdrawn) {
                        return absl::CancelledError("no change");  // twice is not an error
                      }
                      if (!IsOpen(cur.status)) {
                        return Precondition("REQUEST_ANSWERED",
                                            "an answered or closed request cannot be withdrawn");
                      }
                      return Mutation{.kind = Mutation::Kind::kWithdraw,
                                      .status = Status::kWithdrawn,
                                      .description = "withdrawn by the requester"};
                    },
                    now, "", call));
  return out.front();
}

absl::Status Intake::RecordSealedReads(const std::vector<const Request*>& shown,
                                       const std::string& reader, const CallContext& call) {
  std::vector<std::string> ids;
  for (const Request* r : shown) {
    if (r->confidential) ids.push_back(r->id);
  }
  if (ids.empty()) return absl::OkStatus();
  return store_.RecordSealedReads(ids, reader, NowMillis(clock_), call);
}

absl::StatusOr<Request> Intake::Evaluate(const std::string& id, const Evaluation& evaluation,
                                         const CallContext& call) {
  Violations v;
  if (id.empty()) v.Add("id", "required");
  const int sat = static_cast<int>(evaluation.satisfaction);
  if (sat < 1 || sat > 5) v.Add("evaluation.satisfaction", "required, one of the five levels");
  const int res = static_cast<int>(evaluation.resolution);
  if (res < 1 || res > 3) v.Add("evaluation.resolution", "required");
  v.Length("evaluation.comment", evaluation.comment, 0, 500);
  if (!v.empty()) return v.Status();
  const absl::Time now = NowMillis(clock_);
  Evaluation e = evaluation;
  e.create_time = now;
  JIBAN_ASSIGN_OR_RETURN(
      auto out,
      store_.Update(
          {id},
          [&](const Request& cur) -> absl::StatusOr<Mutation> {
            JIBAN_RETURN_IF_ERROR(Owns(cur, call.owner));
            if (cur.evaluation.has_value()) {
              return Precondition("ALREADY_EVALUATED", "this request has been evaluated");
            }
            if (cur.status != Status::kAnswered && cur.status != Status::kClosed) {
              return Precondition("NOT_ANSWERED", "only an answered request can be evaluated");
            }
            return Mutation{
                .kind = Mutation::Kind::kEvaluate,
                .status = cur.status,
                .evaluation = e,
                .description = e.dissatisfied() ? "evaluated: dissatisfied" : "evaluated"};
          },
          now, "", call));
  return out.front();
}

absl::StatusOr<std::vector<Request>> Intake::Merge(const std::string& master_id,
                                                   const std::vector<std::string>& member_ids,
                                                   const CallContext& call) {
  Violations v;
  if (master_id.empty()) v.Add("master_id", "required");
  if (member_ids.empty() || member_ids.size() > 50) v.Add("member_ids", "1 to 50 ids");
  for (size_t i = 0; i < member_ids.size(); ++i) {
    if (member_ids[i] == master_id) {
      v.Add(absl::StrCat("member_ids[", i, "]"), "a request cannot be merged into itself");
    }
  }
  if (!v.empty()) return v.Status();
  JIBAN_ASSIGN_OR_RETURN(Request master, Existing(master_id));
  if (!master.master_id.empty()) {
    return Precondition("MASTER_IS_MEMBER", "the master is itself a duplicate of another request");
  }
  if (master.status == Status::kWithdrawn) {
    return Precondition("REQUEST_FINISHED", "the master was withdrawn");
  }
  const absl::Time now = NowMillis(clock_);
  const std::string note = absl::StrCat("merged with ", master.tracking_number);
  return store_.Update(
      member_ids,
      [&](const Request& cur) -> absl::StatusOr<Mutation> {
        if (cur.master_id == master_id) return absl::CancelledError("no change");
        if (!cur.master_id.empty()) {
          return Precondition("ALREADY_MERGED", "a member is a duplicate of another request");
        }
        if (cur.member_count > 0) {
          return Precondition("MEMBER_IS_MASTER", "a member has duplicates of its own");
        }
        if (!IsOpen(cur.status)) {
          return Precondition("REQUEST_FINISHED", "only open requests can be merged");
        }
        return Mutation{.kind = Mutation::Kind::kMerge,
                        .status = cur.status,
                        .master_id = master_id,
                        .description = note};
      },
      now, "", call);
}

absl::StatusOr<Request> Intake::Unmerge(const std::string& id, const CallContext& call) {
  if (id.empty()) return InvalidArgument("INVALID_REQUEST", {{"id", "required"}});
  const absl::Time now = NowMillis(clock_);
  JIBAN_ASSIGN_OR_RETURN(
      auto out, store_.Update(
                    {id},
                    [&](const Request& cur) -> absl::StatusOr<Mutation> {
                      if (cur.master_id.empty()) {
                        return Precondition("NOT_MERGED", "this request is not a duplicate");
                      }
                      return Mutation{.kind = Mutation::Kind::kUnmerge,
                                      .status = cur.status,
                                      .master_id = cur.master_id,
                                      .description = "separated from its master"};
                    },
                    now, "", call));
  return out.front();
}

}  // namespace jiban::intake
