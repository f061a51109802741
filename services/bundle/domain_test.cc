// Applications with in-memory fakes: one application fanned out into one part per matter, retried
// without dispatching twice, a refused part failing alone, progress followed through routing's
// news until completion, lateness, the sealed form read part by part, catalogue versions.
#include "services/bundle/domain.h"

#include <catch2/catch.hpp>
#include <set>

#include "absl/strings/match.h"
#include "libs/status/status.h"
#include "services/bundle/convert.h"
#include "services/bundle/test_support.h"

namespace jiban::bundle {
namespace {

struct State {
  std::map<std::string, Application> applications;
  std::map<std::string, std::map<std::string, std::string>> forms;
  std::map<std::string, Store::Claim> keys;
  std::vector<std::string> audit;
  std::vector<std::string> events;  // "submitted:<id>", "completed:<id>"
  std::map<std::string, Signal> signals;
  std::map<std::string, HotSpotDecision> decisions;
};

class FakeStore final : public Store {
 public:
  explicit FakeStore(State& s) : s_(s) {}
  absl::StatusOr<std::optional<Application>> GetApplication(const std::string& id) override {
    auto it = s_.applications.find(id);
    if (it == s_.applications.end()) return std::nullopt;
    return it->second;
  }
  absl::Status PutApplication(Application& a, int64_t expected) override {
    auto it = s_.applications.find(a.id);
    const int64_t stored = it == s_.applications.end() ? 0 : it->second.version;
    if (stored != expected || (expected == 0) != (it == s_.applications.end())) {
      return absl::AbortedError("version");
    }
    a.version = expected + 1;
    s_.applications[a.id] = a;
    return absl::OkStatus();
  }
  absl::Status PutForm(const std::string& id,
                       const std::map<std::string, std::string>& form) override {
    s_.forms[id] = form;
    return absl::OkStatus();
  }
  absl::StatusOr<std::map<std::string, std::string>> GetForm(const std::string& id) override {
    return s_.forms[id];
  }
  absl::StatusOr<std::optional<Claim>> ClaimKey(const std::string& key,
                                                const Claim& claim) override {
    if (auto it = s_.keys.find(key); it != s_.keys.end()) return it->second;
    s_.keys[key] = claim;
    return std::nullopt;
  }
  absl::Status Audit(const std::string& id, const std::string& action, const std::string& actor,
                     absl::Time) override {
    s_.audit.push_back(id + " " + action + " " + actor);
    return absl::OkStatus();
  }
  absl::Status PutSignal(const Signal& sig) override {
    s_.signals.try_emplace(sig.id, sig);
    return absl::OkStatus();
  }
  absl::Status SetCategory(const std::string& id, const std::string& category) override {
    if (auto it = s_.signals.find(id); it != s_.signals.end()) it->second.category = category;
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<HotSpotDecision>> GetDecision(const std::string& key) override {
    auto it = s_.decisions.find(key);
    if (it == s_.decisions.end()) return std::nullopt;
    return it->second;
  }
  absl::Status PutDecision(const HotSpotDecision& d) override {
    s_.decisions[d.spot.key] = d;
    return absl::OkStatus();
  }
  absl::Status Submitted(const Application& a, const CallContext&) override {
    s_.events.push_back("submitted:" + a.id);
    return absl::OkStatus();
  }
  absl::Status Completed(const Application& a, const CallContext&) override {
    s_.events.push_back("completed:" + a.id);
    return absl::OkStatus();
  }

 private:
  State& s_;
};

// A transaction works on a copy that replaces the state only on success.
class FakeDb final : public Transactor, public Reader {
 public:
  absl::Status Run(const std::function<absl::Status(Store&)>& fn) override {
    State copy = state;
    FakeStore store(copy);
    absl::Status s = fn(store);
    if (s.ok()) state = std::move(copy);
    return s;
  }
  absl::StatusOr<std::optional<Application>> FindApplication(const std::string& key) override {
    for (const auto& [id, a] : state.applications) {
      if (id == key || a.tracking_number == key) return a;
    }
    return std::nullopt;
  }
  absl::StatusOr<std::vector<Application>> ListApplications(const ApplicationQuery& q) override {
    std::vector<Application> out;
    for (auto it = state.applications.rbegin(); it != state.applications.rend(); ++it) {
      const Application& a = it->second;
      if ((!q.bundle_id.empty() && a.bundle_id != q.bundle_id) ||
          (q.state && a.state != *q.state) || (!q.before_id.empty() && a.id >= q.before_id)) {
        continue;
      }
      if (static_cast<int>(out.size()) < q.limit) out.push_back(a);
    }
    return out;
  }
  absl::StatusOr<std::vector<Application>> PendingApplications(int limit) override {
    std::vector<Application> out;
    for (const auto& [_, a] : state.applications) {
      const bool pending = std::any_of(a.parts.begin(), a.parts.end(), [](const Part& p) {
        return p.state == PartState::kPending;
      });
      if (pending && static_cast<int>(out.size()) < limit) out.push_back(a);
    }
    return out;
  }
  absl::StatusOr<int64_t> NextSerial() override { return ++serial; }
  absl::StatusOr<std::vector<Signal>> Signals(absl::Time from, absl::Time to) override {
    std::vector<Signal> out;
    for (const auto& [_, sig] : state.signals) {
      if (sig.time >= from && sig.time < to) out.push_back(sig);
    }
    return out;
  }
  absl::StatusOr<std::optional<HotSpotDecision>> FindDecision(const std::string& key) override {
    FakeStore store(state);
    return store.GetDecision(key);
  }
  absl::StatusOr<std::vector<HotSpotDecision>> ListDecisions(const std::string& before_id,
                                                             int limit) override {
    std::vector<HotSpotDecision> out;
    for (const auto& [_, d] : state.decisions) {
      if (before_id.empty() || d.id < before_id) out.push_back(d);
    }
    std::sort(out.begin(), out.end(),
              [](const HotSpotDecision& a, const HotSpotDecision& b) { return a.id > b.id; });
    if (static_cast<int>(out.size()) > limit) out.resize(static_cast<size_t>(limit));
    return out;
  }
  absl::StatusOr<std::optional<Catalogue>> LatestCatalogue() override {
    if (catalogues.empty()) return std::nullopt;
    return catalogues.back();
  }
  absl::StatusOr<std::optional<Catalogue>> CatalogueVersion(int64_t v) override {
    for (const Catalogue& c : catalogues) {
      if (c.version == v) return c;
    }
    return std::nullopt;
  }
  absl::StatusOr<Catalogue> PutCatalogue(const Catalogue& c, const std::string&,
                                         int64_t expected) override {
    const int64_t current = catalogues.empty() ? 0 : catalogues.back().version;
    if (expected >= 0 && expected != current) return absl::AbortedError("changed");
    Catalogue stored = c;
    stored.version = current;
    if (!catalogues.empty() &&
        ToProto(stored).SerializeAsString() == ToProto(catalogues.back()).SerializeAsString()) {
      return catalogues.back();
    }
    stored.version = current + 1;
    catalogues.push_back(stored);
    return stored;
  }

  State state;
  int64_t serial = 0;
  std::vector<Catalogue> catalogues;
};

using fixtures::FakeRouting;
using fixtures::Newborn;

absl::Time Start() { return absl::FromUnixSeconds(1795000000); }  // 2026-11-18

struct Fixture {
  Fixture() : clock(Start()), ids(clock, 3) {
    bundles = std::make_unique<Bundles>(db, db, clock, ids, routing, [this] { ++wakes; });
    auto c = DefaultCatalogue();
    REQUIRE(c.ok());
    REQUIRE(bundles->LoadCatalogue(*c, "test").ok());
  }

  CallContext Key(const std::string& k) { return {k, "", "window_clerk"}; }

  OrderNews News(const Application& a, int index, const std::string& change,
                 const std::string& order_id) {
    return {.item_id = ItemId(a.id, index),
            .order_id = order_id,
            .unit_id = a.parts[static_cast<size_t>(index)].unit_id,
            .change = change,
            .deadline =
                a.submit_time + absl::Hours(24) * a.parts[static_cast<size_t>(index)].working_days,
            .at = clock.Now()};
  }
  absl::Status Feed(const OrderNews& n) {
    return db.Run([&](Store& s) { return bundles->OnOrder(s, n, {"evt", "", ""}); });
  }
  Application Stored(const std::string& id) { return db.state.applications.at(id); }

  FakeDb db;
  FakeClock clock;
  IdGenerator ids;
  FakeRouting routing;
  int wakes = 0;
  std::unique_ptr<Bundles> bundles;
};

std::set<std::string> Fields(const absl::Status& s) {
  std::set<std::string> out;
  for (const auto& v : FieldViolationsOf(s)) out.insert(v.field);
  return out;
}

TEST_CASE("one application becomes one order per matter, once however often it is retried",
          "[bundle]") {
  Fixture f;
  auto a = f.bundles->Submit(Newborn(), f.Key("k1"));
  REQUIRE(a.ok());
  CHECK(f.wakes == 1);
  CHECK(a->tracking_number == "YJ2026111800000001");
  REQUIRE(a->parts.size() == 3);
  CHECK(a->parts[0].unit_id == "dept.public-security");
  CHECK(a->parts[2].unit_id == "dept.hrss");
  // Each part within the committed 5 working days: statutory 1, 1 and 5.
  CHECK(a->parts[0].working_days == 1);
  CHECK(a->parts[2].working_days == 5);
  CHECK(f.db.state.events == std::vector<std::string>{"submitted:" + a->id});
  CHECK(f.db.state.forms.at(a->id).at("guardian_name") == "张三");

  auto sent = f.bundles->DispatchPending(10);
  REQUIRE(sent.ok());
  CHECK(*sent == 3);
  REQUIRE(f.routing.calls.size() == 3);
  CHECK(f.routing.calls[1].item_id == a->id + "/1");
  CHECK(f.routing.calls[1].receive_time == a->submit_time);
  CHECK(f.routing.calls[1].title == "新生儿出生一件事：城乡居民医保参保（新生儿）");
  // No personal data goes to routing.
  for (const PartOrder& o : f.routing.calls) CHECK(!absl::StrContains(o.title, "张"));
  Application stored = f.Stored(a->id);
  for (const Part& p : stored.parts) {
    CHECK(p.state == PartState::kDispatched);
    CHECK(p.attempts == 1);
  }
  CHECK(stored.DueTime() == a->submit_time + absl::Hours(24) * 5);

  // The same key and body: the first application, nothing new; another body: refused.
  auto again = f.bundles->Submit(Newborn(), f.Key("k1"));
  REQUIRE(again.ok());
  CHECK(again->id == a->id);
  CHECK(f.db.state.applications.size() == 1);
  CHECK(f.wakes == 1);
  Submission other = Newborn();
  other.form["child_name"] = "张小贝";
  CHECK(ReasonOf(f.bundles->Submit(other, f.Key("k1")).status()) == "REQUEST_ID_REUSED");
  // Nothing left to send.
  REQUIRE(f.bundles->DispatchPending(10).ok());
  CHECK(f.routing.calls.size() == 3);
}

TEST_CASE("a part routing cannot take now is retried, a refused part fails alone", "[bundle]") {
  Fixture f;
  auto a = f.bundles->Submit(Newborn(), f.Key("k1"));
  REQUIRE(a.ok());
  f.routing.failures[a->id + "/0"] = {absl::UnavailableError("routing down")};
  f.routing.failures[a->id + "/2"] = {
      InvalidArgument("INVALID_REQUEST", {{"unit_id", "no unit with this id"}})};
  auto first = f.bundles->DispatchPending(10);
  REQUIRE(first.ok());
  CHECK(*first == 1);
  Application stored = f.Stored(a->id);
  CHECK(stored.parts[0].state == PartState::kPending);
  CHECK(stored.parts[1].state == PartState::kDispatched);
  CHECK(stored.parts[2].state == PartState::kFailed);
  CHECK(stored.parts[2].failure_reason == "INVALID_ARGUMENT: INVALID_REQUEST unit_id");

  // The next round sends only the pending part, with the same item id (routing's key).
  auto second = f.bundles->DispatchPending(10);
  REQUIRE(second.ok());
  CHECK(*second == 1);
  CHECK(f.routing.calls.size() == 4);
  CHECK(f.routing.calls.back().item_id == a->id + "/0");
  CHECK(f.Stored(a->id).parts[0].state == PartState::kDispatched);
  CHECK(f.Stored(a->id).parts[0].order_id == "order-2");

  // Routing's news of the part arriving before the dispatcher recorded its answer is kept, and
  // the late answer does not undo it.
  Fixture g;
  auto b = g.bundles->Submit(Newborn(), g.Key("k1"));
  REQUIRE(b.ok());
  REQUIRE(g.Feed(g.News(*b, 0, "signed_for", "order-1")).ok());
  REQUIRE(g.bundles->DispatchPending(10).ok());
  CHECK(g.Stored(b->id).parts[0].state == PartState::kInHandling);
  CHECK(g.Stored(b->id).parts[0].attempts == 0);
}

TEST_CASE("parts are followed through routing's news until the application completes", "[bundle]") {
  Fixture f;
  auto a = f.bundles->Submit(Newborn(), f.Key("k1"));
  REQUIRE(a.ok());
  REQUIRE(f.bundles->DispatchPending(10).ok());
  const Application sent = f.Stored(a->id);
  const std::string o0 = sent.parts[0].order_id, o1 = sent.parts[1].order_id,
                    o2 = sent.parts[2].order_id;

  REQUIRE(f.Feed(f.News(sent, 0, "signed_for", o0)).ok());
  CHECK(f.Stored(a->id).parts[0].state == PartState::kInHandling);
  // A return: the part waits on the triage desk, which sends it to another unit; news of the
  // order left behind is ignored.
  REQUIRE(f.Feed(f.News(sent, 1, "returned", o1)).ok());
  CHECK(f.Stored(a->id).parts[1].state == PartState::kRerouting);
  OrderNews redispatched = f.News(sent, 1, "dispatched", "order-9");
  redispatched.unit_id = "dept.hrss";
  REQUIRE(f.Feed(redispatched).ok());
  CHECK(f.Stored(a->id).parts[1].order_id == "order-9");
  CHECK(f.Stored(a->id).parts[1].unit_id == "dept.hrss");
  REQUIRE(f.Feed(f.News(sent, 1, "cancelled", o1)).ok());
  CHECK(f.Stored(a->id).parts[1].state == PartState::kDispatched);

  f.clock.Advance(absl::Hours(20));
  REQUIRE(f.Feed(f.News(sent, 0, "replied", o0)).ok());
  REQUIRE(f.Feed(f.News(sent, 2, "replied", o2)).ok());
  CHECK(f.Stored(a->id).state == ApplicationState::kInProgress);
  CHECK(!f.Stored(a->id).Overdue(f.clock.Now()));
  f.clock.Advance(absl::Hours(5 * 24));  // past the 5-day due time
  CHECK(f.Stored(a->id).Overdue(f.clock.Now()));
  REQUIRE(f.Feed(f.News(sent, 1, "replied", "order-9")).ok());
  const Application done = f.Stored(a->id);
  CHECK(done.state == ApplicationState::kCompleted);
  CHECK(done.complete_time == f.clock.Now());
  CHECK(done.Overdue(f.clock.Now() + absl::Hours(1000)));  // finished late stays late
  // A replayed event changes nothing and completes nothing twice.
  const int64_t version = done.version;
  REQUIRE(f.Feed(f.News(sent, 1, "replied", "order-9")).ok());
  REQUIRE(f.Feed(f.News(sent, 1, "closed", "order-9")).ok());
  CHECK(f.Stored(a->id).version == version);
  CHECK(std::count(f.db.state.events.begin(), f.db.state.events.end(), "completed:" + a->id) == 1);
  // News of items that are not ours is ignored.
  CHECK(f.Feed({.item_id = "01JREQUEST", .order_id = "x", .change = "replied"}).ok());
  CHECK(f.Feed({.item_id = "01JNOSUCHAPP/0", .order_id = "x", .change = "replied"}).ok());
}

TEST_CASE("an invalid application is refused naming what is missing, and nothing is stored",
          "[bundle]") {
  Fixture f;
  Submission s = Newborn();
  s.form.erase("guardian_name");
  s.form["contact_phone"] = "12345";
  s.material_ids = {"birth_certificate"};
  const absl::Status bad = f.bundles->Submit(s, f.Key("k1")).status();
  CHECK(bad.code() == absl::StatusCode::kInvalidArgument);
  CHECK(Fields(bad) == std::set<std::string>{"form.guardian_name", "form.contact_phone",
                                             "materials.household_register", "materials.id_card",
                                             "materials.marriage_certificate"});
  CHECK(!absl::StrContains(bad.ToString(), "12345"));

  Submission unknown = Newborn();
  unknown.bundle_id = "moving-house";
  CHECK(Fields(f.bundles->Submit(unknown, f.Key("k2")).status()) ==
        std::set<std::string>{"bundle_id"});
  Submission old = Newborn();
  old.catalogue_version = 7;
  CHECK(Fields(f.bundles->Submit(old, f.Key("k3")).status()) ==
        std::set<std::string>{"catalogue_version"});
  Submission place = Newborn();
  place.district_code = "41A";
  CHECK(Fields(f.bundles->Submit(place, {"", "", ""}).status()) ==
        std::set<std::string>{"request_id", "district_code"});
  CHECK(f.db.state.applications.empty());
  CHECK(f.db.state.keys.empty());
}

TEST_CASE("a unit reads only the fields its matter uses, and the read is audited", "[bundle]") {
  Fixture f;
  auto a = f.bundles->Submit(Newborn(), f.Key("k1"));
  REQUIRE(a.ok());
  // 城乡居民医保参保 uses child_name, birth_date, guardian_id_number, contact_phone: no
  // guardian_name.
  auto form = f.bundles->PartForm(a->id, 1, f.Key(""));
  REQUIRE(form.ok());
  CHECK(form->size() == 4);
  CHECK(!form->contains("guardian_name"));
  CHECK(form->at("child_name") == "张小宝");
  CHECK(f.db.state.audit == std::vector<std::string>{a->id + " read_part_form:1 window_clerk"});
  CHECK(Fields(f.bundles->PartForm(a->id, 3, f.Key("")).status()) ==
        std::set<std::string>{"part_index"});
  CHECK(ReasonOf(f.bundles->PartForm("nope", 0, f.Key("")).status()) == "APPLICATION_NOT_FOUND");
}

TEST_CASE("a new catalogue version leaves applications on the version they were made under",
          "[bundle]") {
  Fixture f;
  auto a = f.bundles->Submit(Newborn(), f.Key("k1"));
  REQUIRE(a.ok());
  CHECK(a->catalogue_version == 1);
  auto c = f.bundles->GetCatalogue(0);
  REQUIRE(c.ok());
  Catalogue next = **c;
  next.bundles[1].committed_working_days = 3;
  auto stored = f.bundles->UpdateCatalogue(next, 1, "task_force");
  REQUIRE(stored.ok());
  CHECK(stored->version == 2);
  CHECK(f.bundles->UpdateCatalogue(next, 1, "task_force").status().code() ==
        absl::StatusCode::kAborted);
  // Storing the same catalogue again makes no new version.
  auto same = f.bundles->UpdateCatalogue(next, 0, "task_force");
  REQUIRE(same.ok());
  CHECK(same->version == 2);
  auto v1 = f.bundles->GetBundle("newborn", 1);
  auto v2 = f.bundles->GetBundle("newborn", 0);
  REQUIRE(v1.ok());
  REQUIRE(v2.ok());
  CHECK(v1->bundle.committed_working_days == 5);
  CHECK(v2->bundle.committed_working_days == 3);
  CHECK(v2->savings.working_days_after == 3);
  auto b = f.bundles->Submit(Newborn(), f.Key("k2"));
  REQUIRE(b.ok());
  CHECK(b->catalogue_version == 2);
  CHECK(b->parts[2].working_days == 3);
  // The guide answers from the version in force.
  auto hits = f.bundles->Search("宝宝出生了要办什么", 5);
  REQUIRE(hits.ok());
  REQUIRE(!hits->empty());
  CHECK((*hits)[0].hit.id == "newborn");
  CHECK((*hits)[0].working_days == 3);
}

TEST_CASE("hot spots are mined from the requests received, decided once, and their effect shown",
          "[bundle][hotspot]") {
  Fixture f;
  const auto receive = [&](const std::string& id, const std::string& title, absl::Time at) {
    Signal sig{.id = id,
               .time = at,
               .place = "410202",
               .signature = RequestSignature(title, ""),
               .label = SafeLabel(title)};
    REQUIRE(f.db.Run([&](Store& s) { return f.bundles->OnRequest(s, sig); }).ok());
  };
  const std::string title = "幸福路与建设街交叉口路灯坏了三个月无人修，电话13800138000";
  for (int i = 0; i < 6; ++i) {
    receive("r" + std::to_string(i), title, f.clock.Now() - absl::Hours(10 + i));
  }
  receive("r0", "重放的事件不会再记一次", f.clock.Now());  // a replayed event: kept once
  receive("other", "学校门口早晚交通拥堵严重，希望增派交警疏导", f.clock.Now() - absl::Hours(3));
  REQUIRE(f.db.Run([&](Store& s) { return f.bundles->OnCategory(s, "r1", "城乡建设"); }).ok());
  CHECK(f.db.state.signals.at("r1").category == "城乡建设");

  auto spots = f.bundles->HotSpots(7, 20);
  REQUIRE(spots.ok());
  REQUIRE(spots->size() == 1);
  const HotSpot& h = (*spots)[0].spot;
  CHECK(h.kind == HotSpotKind::kSimilarText);
  CHECK(h.count == 6);
  CHECK(h.label == "幸福路与建设街交叉口路灯坏了三个月无人修，电话***");
  CHECK(!(*spots)[0].decision);

  auto d =
      f.bundles->DecideHotSpot(h.key, ActionKind::kProactiveTask, "派单给区城管局", 7, f.Key("d1"));
  REQUIRE(d.ok());
  CHECK(d->spot.count == 6);
  CHECK(f.bundles->DecideHotSpot(h.key, ActionKind::kProactiveTask, "", 7, f.Key("d2")).ok());
  CHECK(ReasonOf(f.bundles->DecideHotSpot(h.key, ActionKind::kMonthlyTopic, "", 7, f.Key("d3"))
                     .status()) == "HOTSPOT_ALREADY_DECIDED");
  CHECK(
      ReasonOf(f.bundles->DecideHotSpot("text:none", ActionKind::kMonthlyTopic, "", 7, f.Key("d4"))
                   .status()) == "HOTSPOT_NOT_FOUND");
  CHECK(f.bundles->HotSpots(0, 20).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(f.db.state.audit.size() == 1);

  // Two more such requests in the three and a half days after the decision.
  f.clock.Advance(absl::Hours(84));
  receive("after1", title, f.clock.Now() - absl::Hours(1));
  receive("after2", title, f.clock.Now() - absl::Hours(2));
  auto page = f.bundles->Decisions(10, "");
  REQUIRE(page.ok());
  REQUIRE(page->decisions.size() == 1);
  CHECK(page->decisions[0].effect.before == 6);
  CHECK(page->decisions[0].effect.after == 2);
  CHECK(page->decisions[0].effect.after_share == Approx(0.5));
  auto spots_now = f.bundles->HotSpots(7, 20);
  REQUIRE(spots_now.ok());
  REQUIRE(!spots_now->empty());
  CHECK((*spots_now)[0].decision.has_value());
}

}  // namespace
}  // namespace jiban::bundle
