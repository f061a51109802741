// Routing's domain with in-memory fakes: placement by the shipped dispatch list, the rule that a
// complaint never reaches the unit it complains about (a property over generated cases), every
// work-order transition and its refusals, idempotent retries and the triage desk.
#include "services/routing/domain.h"

#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "libs/status/status.h"
#include "libs/testing/data.h"
#include "rapidcheck/catch.h"
#include "services/routing/convert.h"

namespace jiban::routing {
namespace {

// Everything in maps; a transaction works on a copy that replaces the state only on success.
struct State {
  std::map<std::string, RoutedRequest> requests;
  std::map<std::string, WorkOrder> orders;
  std::set<std::string> keys;
  std::vector<std::string> events;  // "dispatched:<unit>", "triaged:<reason>", "<change>"
};

class FakeStore final : public Store {
 public:
  explicit FakeStore(State& s) : s_(s) {}
  absl::StatusOr<std::optional<RoutedRequest>> GetRequest(const std::string& id, bool) override {
    auto it = s_.requests.find(id);
    if (it == s_.requests.end()) return std::nullopt;
    return it->second;
  }
  absl::Status PutRequest(const RoutedRequest& r, bool insert) override {
    if (insert == s_.requests.count(r.facts.id) > 0) return absl::InternalError("insert/update");
    s_.requests[r.facts.id] = r;
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<WorkOrder>> GetOrder(const std::string& id, bool) override {
    auto it = s_.orders.find(id);
    if (it == s_.orders.end()) return std::nullopt;
    return it->second;
  }
  absl::StatusOr<std::vector<WorkOrder>> OrdersOfRequest(const std::string& id, bool) override {
    std::vector<WorkOrder> out;
    for (const auto& [_, o] : s_.orders) {
      if (o.request_id == id) out.push_back(o);
    }
    return out;
  }
  absl::Status PutOrder(const WorkOrder& o, int64_t expected) override {
    auto it = s_.orders.find(o.id);
    if (expected == 0 ? it != s_.orders.end()
                      : (it == s_.orders.end() || it->second.version != expected)) {
      return absl::AbortedError("version");
    }
    s_.orders[o.id] = o;
    return absl::OkStatus();
  }
  absl::StatusOr<bool> ClaimKey(const std::string& key, const std::string&) override {
    return s_.keys.insert(key).second;
  }
  absl::Status Dispatched(const std::vector<WorkOrder>& orders, const CallContext&) override {
    for (const auto& o : orders) s_.events.push_back("dispatched:" + o.unit_id);
    return absl::OkStatus();
  }
  absl::Status Triaged(const RoutedRequest& r, const CallContext&) override {
    s_.events.push_back("triaged:" + r.triage_reason);
    return absl::OkStatus();
  }
  absl::Status Changed(const OrderChange& c, const CallContext&) override {
    s_.events.push_back(c.change);
    return absl::OkStatus();
  }

 private:
  State& s_;
};

class FakeDb final : public Transactor, public Reader, public ConfigRepository {
 public:
  State state;
  absl::Status Run(const std::function<absl::Status(Store&)>& fn) override {
    State copy = state;
    FakeStore store(copy);
    absl::Status s = fn(store);
    if (s.ok()) state = std::move(copy);
    return s;
  }
  absl::StatusOr<std::optional<WorkOrder>> FindOrder(const std::string& id) override {
    auto it = state.orders.find(id);
    if (it == state.orders.end()) return std::nullopt;
    return it->second;
  }
  absl::StatusOr<std::vector<WorkOrder>> ListOrders(const OrderQuery& q) override {
    std::vector<WorkOrder> out;
    for (auto it = state.orders.rbegin(); it != state.orders.rend(); ++it) {
      const WorkOrder& o = it->second;
      if ((!q.unit_id.empty() && o.unit_id != q.unit_id) ||
          (!q.before_id.empty() && o.id >= q.before_id)) {
        continue;
      }
      if (static_cast<int>(out.size()) < q.limit) out.push_back(o);
    }
    return out;
  }
  absl::StatusOr<std::vector<RoutedRequest>> ListTriage(const std::string& after,
                                                        int limit) override {
    std::vector<RoutedRequest> out;
    for (const auto& [id, r] : state.requests) {
      if (r.state == RequestState::kTriage && id > after && static_cast<int>(out.size()) < limit) {
        out.push_back(r);
      }
    }
    return out;
  }
  std::vector<Unit> units;
  std::vector<DispatchList> lists;
  absl::StatusOr<std::vector<Unit>> Units() override { return units; }
  absl::StatusOr<int> PutUnits(const std::vector<Unit>& in, const std::string&) override {
    for (const Unit& u : in) {
      auto it =
          std::find_if(units.begin(), units.end(), [&](const Unit& x) { return x.id == u.id; });
      if (it == units.end())
        units.push_back(u);
      else
        *it = u;
    }
    return static_cast<int>(in.size());
  }
  absl::StatusOr<std::optional<DispatchList>> LatestList() override {
    if (lists.empty()) return std::nullopt;
    return lists.back();
  }
  absl::StatusOr<std::optional<DispatchList>> ListVersion(int64_t v) override {
    for (const auto& l : lists) {
      if (l.version == v) return l;
    }
    return std::nullopt;
  }
  absl::StatusOr<DispatchList> PutList(const DispatchList& l, const std::string&,
                                       int64_t expected) override {
    const int64_t current = lists.empty() ? 0 : lists.back().version;
    if (expected >= 0 && expected != current) return absl::AbortedError("changed");
    DispatchList stored = l;
    stored.version = current + 1;
    lists.push_back(stored);
    return stored;
  }
};

// 2026-03-02 (a Monday) 10:00 in the city.
absl::Time Monday10() {
  return absl::FromCivil(absl::CivilSecond(2026, 3, 2, 10, 0, 0), calendar::CityZone());
}

struct Fixture {
  Fixture() : clock(Monday10()), ids(clock, 7) {
    auto cal = calendar::WorkCalendar::FromYearFiles(
        {testing::ReadTestFile("services/routing/defaults/calendar-2026.json")});
    REQUIRE(cal.ok());
    routing = std::make_unique<Routing>(db, db, db, clock, ids,
                                        std::make_shared<const calendar::WorkCalendar>(*cal));
    auto units = ParseUnitDirectory(testing::ReadTestFile("services/routing/defaults/units.json"));
    auto list =
        ParseDispatchList(testing::ReadTestFile("services/routing/defaults/dispatch_list.json"));
    REQUIRE(units.ok());
    REQUIRE(list.ok());
    REQUIRE(routing->LoadConfiguration(*units, *list, "test").ok());
  }

  // Submits through the intake-event path with a forced category (no model in unit tests).
  std::vector<WorkOrder> Submit(RequestFacts f) {
    REQUIRE(db.Run([&](Store& s) { return routing->OnSubmitted(s, f, {"evt", ""}); }).ok());
    std::vector<WorkOrder> out;
    for (const auto& [_, o] : db.state.orders) {
      if (o.request_id == f.id) out.push_back(o);
    }
    std::sort(out.begin(), out.end(),
              [](const WorkOrder& a, const WorkOrder& b) { return a.lead > b.lead; });
    return out;
  }

  RequestFacts Facts(std::string id, Nature n, std::string text, std::string district = "410202") {
    return {.id = std::move(id),
            .tracking_number = "JB2026030200000001",
            .nature = n,
            .title = "",
            .text = std::move(text),
            .district_code = std::move(district),
            .create_time = clock.Now()};
  }

  CallContext Key(const std::string& k) { return {k, ""}; }

  FakeDb db;
  FakeClock clock;
  IdGenerator ids;
  std::unique_ptr<Routing> routing;
};

TEST_CASE("the starter dispatch list places requests as the seed describes", "[routing]") {
  Fixture f;
  SECTION("could not get it done → the commission's window, supervised") {
    auto orders = f.Submit(f.Facts("r1", Nature::kCouldNotGetDone, "办营业执照跑了三次没办成"));
    REQUIRE(orders.size() == 1);
    CHECK(orders[0].unit_id == "window.could-not-get-done");
    CHECK(orders[0].mode == Mode::kSupervise);
    CHECK(orders[0].answerable.name == "王志强");  // the window's person answerable (units.json)
  }
  SECTION("a work-style complaint → the commission's window") {
    auto orders = f.Submit(f.Facts("r2", Nature::kComplaint, "窗口工作人员态度恶劣，推诿扯皮"));
    REQUIRE(orders.size() == 1);
    CHECK(orders[0].unit_id == "window.could-not-get-done");
  }
  SECTION("an enterprise investment matter → the enterprise window, one to one") {
    auto facts = f.Facts("r3", Nature::kComplaint, "我公司新建厂房项目施工许可迟迟办不下来");
    facts.enterprise = true;
    auto orders = f.Submit(facts);
    REQUIRE(orders.size() == 1);
    CHECK(orders[0].unit_id == "window.enterprise");
    CHECK(orders[0].mode == Mode::kOneToOne);
  }
  SECTION("an urgent safety matter → the district within 24 natural hours") {
    auto orders = f.Submit(f.Facts("r4", Nature::kComplaint, "小区门口井盖丢失，很危险", "410204"));
    REQUIRE(orders.size() == 2);
    CHECK(orders[0].unit_id == "district.410204");
    CHECK(orders[0].lead);
    CHECK(orders[1].unit_id == "dept.urban-management");
    CHECK_FALSE(orders[1].lead);
    CHECK(orders[0].deadline == Monday10() + absl::Hours(24));
  }
  SECTION("nothing placeable → the triage queue") {
    auto orders = f.Submit(f.Facts("r5", Nature::kComplaint, "一些无法归类的话"));
    CHECK(orders.empty());
    CHECK(f.db.state.requests.at("r5").state == RequestState::kTriage);
    CHECK(f.db.state.requests.at("r5").triage_reason == "LOW_CONFIDENCE");
  }
  SECTION("a consultation answered on the spot and a duplicate are not dispatched") {
    auto facts = f.Facts("r6", Nature::kConsultation, "咨询社保卡");
    facts.answered = true;
    CHECK(f.Submit(facts).empty());
    auto dup = f.Facts("r7", Nature::kComplaint, "井盖丢失");
    dup.master_id = "r4";
    CHECK(f.Submit(dup).empty());
    CHECK(f.db.state.requests.at("r7").state == RequestState::kMerged);
  }
}

TEST_CASE("with a model, the classifier's category places the request", "[routing]") {
  Fixture f;
  std::vector<LabelledText> data;
  for (const char* t :
       {"工厂排污河道发臭", "夜间施工噪音扰民", "饭店油烟污染空气", "垃圾焚烧有异味"}) {
    data.push_back({"环境保护", t});
  }
  for (const char* t : {"学校违规补课收费", "幼儿园学位不足", "老师体罚学生", "中学入学划片不公"}) {
    data.push_back({"教育文体", t});
  }
  auto model = TextClassifier::Train(data, {.min_df = 1});
  REQUIRE(model.ok());
  f.routing->SetClassifier(std::make_shared<const TextClassifier>(*model));
  auto orders = f.Submit(f.Facts("m1", Nature::kComplaint, "化工厂排污，河道发臭", ""));
  REQUIRE(f.db.state.requests.at("m1").category == "环境保护");
  // Two categories: the winner's softmax share is at least one half, above min_confidence.
  CHECK(f.db.state.requests.at("m1").confidence >= 0.5);
  REQUIRE(orders.size() == 1);
  CHECK(orders[0].unit_id == "dept.ecology");
  CHECK(orders[0].category == "环境保护");
  auto classified = f.routing->Classify("学校补课收费");
  REQUIRE(classified.has_value());
  CHECK(classified->category == "教育文体");
}

TEST_CASE("categories reach their department, by place first for construction", "[routing]") {
  Fixture f;
  const auto list = f.routing->dispatch_list();
  const auto dir = f.routing->directory();
  auto facts = f.Facts("x", Nature::kComplaint, "小区路面破损");
  Placement p = Place(facts, "城乡建设", 0.9, *list, *dir, {});
  REQUIRE(p.rule != nullptr);
  CHECK(p.units[0]->id == "district.410202");
  CHECK(p.units[1]->id == "dept.housing");
  facts.district_code = "";
  p = Place(facts, "城乡建设", 0.9, *list, *dir, {});
  REQUIRE(p.rule != nullptr);
  CHECK(p.units[0]->id == "dept.housing");
  p = Place(facts, "环境保护", 0.9, *list, *dir, {});
  CHECK(p.units[0]->id == "dept.ecology");
  p = Place(facts, "环境保护", 0.3, *list, *dir, {});  // below min_confidence
  CHECK(p.rule == nullptr);
  CHECK(p.triage_reason == "LOW_CONFIDENCE");
}

// The property: whatever the nature, category, place and text, a complaint (投诉/举报/办不成事)
// that names a unit never produces an order for that unit or any unit under it.
TEST_CASE("a complaint is never routed to the unit it complains about", "[routing][property]") {
  Fixture f;
  const auto list = f.routing->dispatch_list();
  const auto dir = f.routing->directory();
  std::mt19937 rng(20261126);
  const std::vector<std::string> categories = {"城乡建设",       "环境保护", "交通运输", "教育文体",
                                               "劳动和社会保障", "商贸旅游", "卫生计生", ""};
  const std::vector<std::string> fillers = {"反映",         "工作人员态度恶劣", "推诿扯皮",
                                            "项目施工许可", "井盖丢失",         "噪音扰民",
                                            "不作为",       "拖欠工资",         ""};
  const std::vector<std::string> districts = {"410202", "410203", "410204", "410205", "410212",
                                              "410221", "410222", "410223", "410225", ""};
  int checked = 0, named = 0, triaged = 0;
  for (int i = 0; i < 5000; ++i) {
    const Unit& target = dir->units()[rng() % dir->units().size()];
    std::string name = target.name;
    if (!target.aliases.empty() && rng() % 2 == 0)
      name = target.aliases[rng() % target.aliases.size()];
    const Nature nature = static_cast<Nature>(1 + rng() % 8);
    auto facts = f.Facts("p", nature,
                         absl::StrCat(fillers[rng() % fillers.size()], "，", name, "的",
                                      fillers[rng() % fillers.size()]),
                         districts[rng() % districts.size()]);
    facts.enterprise = rng() % 3 == 0;
    const std::set<std::string> excluded = MayComplainAboutUnits(nature)
                                               ? dir->NamedWithDescendants(facts.text)
                                               : std::set<std::string>{};
    if (MayComplainAboutUnits(nature)) {
      REQUIRE(excluded.count(target.id) == 1);
      ++named;
    }
    Placement p = Place(facts, categories[rng() % categories.size()], 0.9, *list, *dir, excluded);
    if (p.rule == nullptr) ++triaged;
    for (const Unit* u : p.units) {
      INFO(facts.text << " → " << u->id);
      CHECK(excluded.count(u->id) == 0);
      ++checked;
    }
  }
  CHECK(named > 1000);
  CHECK(checked > 1000);
  CHECK(triaged > 0);
}

TEST_CASE("a complaint naming the department its category maps to goes elsewhere", "[routing]") {
  Fixture f;
  auto facts = f.Facts("c1", Nature::kComplaint, "市生态环境局对工厂排污的处理不满意", "");
  const auto excluded = f.routing->directory()->NamedWithDescendants(facts.text);
  Placement p =
      Place(facts, "环境保护", 0.9, *f.routing->dispatch_list(), *f.routing->directory(), excluded);
  CHECK(p.rule == nullptr);
  CHECK(p.triage_reason == "CONFLICT_OF_INTEREST");
}

TEST_CASE("a work order's life: sign, pause, extend, reply, close", "[routing]") {
  Fixture f;
  auto orders = f.Submit(f.Facts("r1", Nature::kCouldNotGetDone, "事情没办成"));
  REQUIRE(orders.size() == 1);
  const std::string id = orders[0].id;
  // Dispatched Monday 2 March 10:00 with 5 working days: the end of Monday 9 March.
  const absl::Time deadline = absl::FromCivil(absl::CivilDay(2026, 3, 10), calendar::CityZone());
  CHECK(orders[0].deadline == deadline);
  CHECK(orders[0].sign_for_deadline == Monday10() + absl::Hours(4));

  SECTION("sign-for happens once; a second unit's sign-for is refused; a retry is not") {
    auto signed_for = f.routing->SignFor(id, f.Key("k1"));
    REQUIRE(signed_for.ok());
    CHECK(signed_for->state == OrderState::kSignedFor);
    auto retry = f.routing->SignFor(id, f.Key("k1"));
    REQUIRE(retry.ok());
    CHECK(retry->version == signed_for->version);
    auto second = f.routing->SignFor(id, f.Key("k2"));
    CHECK(second.status().code() == absl::StatusCode::kFailedPrecondition);
    CHECK(ReasonOf(second.status()) == "ORDER_NOT_DISPATCHED");
  }
  SECTION("replying ends a pause, counting the working days it touched") {
    REQUIRE(f.routing->SignFor(id, f.Key("k1")).ok());
    f.clock.Advance(absl::Hours(24));  // Tuesday 10:00
    REQUIRE(f.routing->Pause(id, PauseReason::kAwaitingRequester, f.Key("k2")).ok());
    CHECK(ReasonOf(f.routing->Pause(id, PauseReason::kAwaitingRequester, f.Key("k3")).status()) ==
          "ORDER_PAUSED");
    f.clock.Advance(absl::Hours(48));  // Thursday 10:00
    auto replied = f.routing->Reply(id, Outcome::kExplained, "已向诉求人说明", f.Key("k4"));
    REQUIRE(replied.ok());
    CHECK(replied->pause == PauseReason::kNone);
    CHECK(replied->paused_working_days == 3);
  }
  SECTION("resume after a pause") {
    REQUIRE(f.routing->SignFor(id, f.Key("k1")).ok());
    f.clock.Advance(absl::Hours(24));
    REQUIRE(f.routing->Pause(id, PauseReason::kAwaitingRequester, f.Key("k2")).ok());
    f.clock.Advance(absl::Hours(48));
    auto resumed = f.routing->Resume(id, f.Key("k3"));
    REQUIRE(resumed.ok());
    CHECK(resumed->paused_working_days == 3);
    CHECK(resumed->deadline == absl::FromCivil(absl::CivilDay(2026, 3, 13), calendar::CityZone()));
    CHECK(ReasonOf(f.routing->Resume(id, f.Key("k4")).status()) == "ORDER_NOT_PAUSED");
  }
  SECTION("an extension pauses the clock until the task force decides") {
    REQUIRE(f.routing->SignFor(id, f.Key("k1")).ok());
    auto asked = f.routing->RequestExtension(id, 3, "需要现场勘验", f.Key("k2"));
    REQUIRE(asked.ok());
    CHECK(asked->pause == PauseReason::kExtensionReview);
    CHECK(ReasonOf(f.routing->Reply(id, Outcome::kResolved, "答复", f.Key("k3")).status()) ==
          "EXTENSION_PENDING");
    auto approved = f.routing->DecideExtension(id, true, "同意", f.Key("k4"));
    REQUIRE(approved.ok());
    CHECK(approved->extension.state == ExtensionState::kApproved);
    CHECK(approved->paused_working_days == 0);  // decided at once: the pause touched no time
    // 5 + 3 (extension) working days from Monday 2 March: the end of Thursday 12th.
    CHECK(approved->deadline == absl::FromCivil(absl::CivilDay(2026, 3, 13), calendar::CityZone()));
    CHECK(ReasonOf(f.routing->DecideExtension(id, true, "再次", f.Key("k5")).status()) ==
          "NO_PENDING_EXTENSION");
  }
  SECTION("reply, then a dissatisfied evaluation sends it back, a satisfied one closes it") {
    CHECK(ReasonOf(f.routing->Reply(id, Outcome::kResolved, "已办理", f.Key("k0")).status()) ==
          "ORDER_NOT_IN_PROGRESS");
    REQUIRE(f.routing->SignFor(id, f.Key("k1")).ok());
    auto replied = f.routing->Reply(id, Outcome::kResolved, "已办理", f.Key("k2"));
    REQUIRE(replied.ok());
    CHECK(replied->state == OrderState::kReplied);
    REQUIRE(f.db.Run([&](Store& s) {
                  return f.routing->OnEvaluated(s, "r1", true, {"e1", ""});
                })
                .ok());
    auto again = f.routing->Get(id);
    REQUIRE(again.ok());
    CHECK(again->state == OrderState::kSignedFor);
    CHECK(again->rehandle_count == 1);
    REQUIRE(f.routing->Reply(id, Outcome::kResolved, "重新办理完毕", f.Key("k3")).ok());
    REQUIRE(f.db.Run([&](Store& s) {
                  return f.routing->OnEvaluated(s, "r1", false, {"e2", ""});
                })
                .ok());
    CHECK(f.routing->Get(id)->state == OrderState::kClosed);
    CHECK(f.db.state.requests.at("r1").state == RequestState::kFinished);
  }
  SECTION("bad input names every field and changes nothing") {
    const auto before = f.db.state.orders;
    auto bad = f.routing->RequestExtension(id, 0, "", {"", ""});
    REQUIRE(bad.status().code() == absl::StatusCode::kInvalidArgument);
    std::set<std::string> fields;
    for (const auto& v : FieldViolationsOf(bad.status())) fields.insert(v.field);
    CHECK(fields == std::set<std::string>{"request_id", "working_days", "reason"});
    CHECK(f.db.state.orders.size() == before.size());
    CHECK(f.routing->Get("nope").status().code() == absl::StatusCode::kNotFound);
  }
}

// Any sequence of actions on a work order, in any order, with time passing in between: a
// successful action bumps the version by exactly one and moves the state only along the allowed
// edges; a refused one is FAILED_PRECONDITION or INVALID_ARGUMENT and changes nothing; a retry
// with the same key changes nothing; the deadline never moves earlier; a closed or returned order
// takes no more actions.
TEST_CASE("a work order's state machine holds under any sequence of actions",
          "[routing][property]") {
  enum Action { kSign, kReturn, kExtend, kDecide, kPause, kResume, kReply, kEvaluate, kWait };
  const std::set<std::pair<OrderState, OrderState>> allowed = {
      {OrderState::kDispatched, OrderState::kSignedFor},
      {OrderState::kDispatched, OrderState::kReturned},
      {OrderState::kSignedFor, OrderState::kReturned},
      {OrderState::kSignedFor, OrderState::kReplied},
      {OrderState::kReplied, OrderState::kSignedFor},  // dissatisfied: handled again
      {OrderState::kReplied, OrderState::kClosed}};
  rc::prop("versions, states, refusals, retries and deadlines stay consistent", [&] {
    const auto actions = *rc::gen::container<std::vector<int>>(rc::gen::inRange(0, 9));
    Fixture f;
    auto orders = f.Submit(f.Facts("r1", Nature::kCouldNotGetDone, "事情没办成"));
    RC_ASSERT(orders.size() == 1u);
    const std::string id = orders[0].id;
    int key = 0;
    for (int a : actions) {
      const WorkOrder before = f.db.state.orders.at(id);
      const std::string k = absl::StrCat("k", ++key);
      absl::StatusOr<WorkOrder> r = before;
      switch (static_cast<Action>(a)) {
        case kSign:
          r = f.routing->SignFor(id, f.Key(k));
          break;
        case kReturn:
          r = f.routing->Return(id, ReturnReason::kNotOurRemit, "不属本单位职责", f.Key(k));
          break;
        case kExtend:
          r = f.routing->RequestExtension(id, *rc::gen::inRange(1, 10), "需要现场勘验", f.Key(k));
          break;
        case kDecide:
          r = f.routing->DecideExtension(id, *rc::gen::arbitrary<bool>(), "决定", f.Key(k));
          break;
        case kPause:
          r = f.routing->Pause(id, PauseReason::kAwaitingRequester, f.Key(k));
          break;
        case kResume:
          r = f.routing->Resume(id, f.Key(k));
          break;
        case kReply:
          r = f.routing->Reply(id, Outcome::kResolved, "已办理", f.Key(k));
          break;
        case kEvaluate: {
          const bool unhappy = *rc::gen::arbitrary<bool>();
          RC_ASSERT(f.db.Run([&](Store& s) {
                          return f.routing->OnEvaluated(s, "r1", unhappy, {k, ""});
                        })
                        .ok());
          r = f.db.state.orders.at(id);
          break;
        }
        case kWait:
          f.clock.Advance(absl::Hours(*rc::gen::inRange(1, 72)));
          continue;
      }
      const WorkOrder after = f.db.state.orders.at(id);  // a copy: a retry replaces the state
      const bool terminal =
          before.state == OrderState::kClosed || before.state == OrderState::kReturned;
      if (r.ok() && after.version != before.version) {
        RC_ASSERT(!terminal);
        RC_ASSERT(after.version == before.version + 1);
        RC_ASSERT((after.state == before.state || allowed.count({before.state, after.state}) > 0));
        RC_ASSERT(after.deadline >= before.deadline);
        if (a != kEvaluate) {  // the same key again: the answer as it was, nothing changed
          auto again = a == kSign ? f.routing->SignFor(id, f.Key(k))
                                  : f.routing->Get(id);  // (every keyed action shares the claim)
          RC_ASSERT(again.ok());
          RC_ASSERT(f.db.state.orders.at(id).version == after.version);
        }
      } else if (!r.ok()) {
        const auto code = r.status().code();
        RC_ASSERT((code == absl::StatusCode::kFailedPrecondition ||
                   code == absl::StatusCode::kInvalidArgument));
        RC_ASSERT(after.version == before.version);
        RC_ASSERT(after.state == before.state);
        RC_ASSERT(after.deadline == before.deadline);
      } else {
        RC_ASSERT(a == kEvaluate);  // an evaluation of an order not replied: nothing to do
      }
    }
  });
}

TEST_CASE("returns go to the triage desk, which cannot pick a complained-about unit", "[routing]") {
  Fixture f;
  auto orders =
      f.Submit(f.Facts("r1", Nature::kComplaint, "井盖丢失，市城市管理局的人不管", "410203"));
  // The urgent rule's co-handler (the city management bureau) is named: it is left out.
  REQUIRE(orders.size() == 1);
  CHECK(orders[0].unit_id == "district.410203");
  const std::string id = orders[0].id;

  auto returned =
      f.routing->Return(id, ReturnReason::kNotOurRemit, "应由供水公司处理", f.Key("k1"));
  REQUIRE(returned.ok());
  CHECK(returned->state == OrderState::kReturned);
  const RoutedRequest& r = f.db.state.requests.at("r1");
  CHECK(r.state == RequestState::kTriage);
  CHECK(r.triage_reason == "RETURNED");
  CHECK(r.return_count == 1);

  auto page = f.routing->ListTriage(0, "");
  REQUIRE(page.ok());
  REQUIRE(page->items.size() == 1);

  Routing::Assignment to_named{.lead = "dept.urban-management"};
  CHECK(ReasonOf(f.routing->Assign("r1", to_named, f.Key("k2")).status()) ==
        "UNIT_COMPLAINED_ABOUT");
  Routing::Assignment unknown{.lead = "dept.none"};
  CHECK(f.routing->Assign("r1", unknown, f.Key("k3")).status().code() ==
        absl::StatusCode::kInvalidArgument);
  // 5 hours later the desk upholds the district as lead: the request's clock still runs from
  // the first dispatch (Monday 10:00), not from the re-dispatch.
  f.clock.Advance(absl::Hours(5));
  Routing::Assignment back{
      .lead = "district.410203", .limit = {.working_days = 5}, .note = "属地负责"};
  auto again = f.routing->Assign("r1", back, f.Key("k4"));
  REQUIRE(again.ok());
  REQUIRE(again->size() == 1);
  CHECK((*again)[0].clock_start == Monday10());
  CHECK((*again)[0].dispatch_note == "属地负责");
  CHECK((*again)[0].dispatch_time == Monday10() + absl::Hours(5));
  auto retry = f.routing->Assign("r1", back, f.Key("k4"));
  REQUIRE(retry.ok());
  CHECK(f.db.state.orders.size() == 2);  // the retry dispatched nothing new
  CHECK(ReasonOf(f.routing->Assign("r1", back, f.Key("k5")).status()) == "NOT_IN_TRIAGE");

  // The desk's orders may be returned within 24 hours.
  f.clock.Advance(absl::Hours(25));
  CHECK(ReasonOf(f.routing->Return((*again)[0].id, ReturnReason::kNotOurRemit, "x", f.Key("k6"))
                     .status()) == "RETURN_WINDOW_CLOSED");
}

TEST_CASE("the commission's reassignment takes the order and sends the request to triage",
          "[routing]") {
  Fixture f;
  auto orders = f.Submit(f.Facts("r1", Nature::kComplaint, "井盖丢失", "410205"));
  REQUIRE(orders.size() == 2);  // the district leads, city management co-handles
  REQUIRE(f.routing->SignFor(orders[0].id, f.Key("k1")).ok());
  auto co = f.routing->Reassign(orders[1].id, "协办单位推诿", f.Key("k2"));
  REQUIRE(co.ok());
  CHECK(co->state == OrderState::kCancelled);
  CHECK(f.db.state.requests.at("r1").state == RequestState::kDispatched);  // the lead carries on
  auto lead = f.routing->Reassign(orders[0].id, "督办案件责成改派", f.Key("k3"));
  REQUIRE(lead.ok());
  CHECK(lead->state == OrderState::kCancelled);
  const RoutedRequest& r = f.db.state.requests.at("r1");
  CHECK(r.state == RequestState::kTriage);
  CHECK(r.triage_reason == "REASSIGN_ORDERED");
  CHECK(r.return_count == 0);  // not the unit's return
  CHECK(f.routing->Reassign(orders[0].id, "again", f.Key("k3"))->state == OrderState::kCancelled);
  CHECK(ReasonOf(f.routing->Reassign(orders[0].id, "again", f.Key("k4")).status()) ==
        "ORDER_NOT_ACTIVE");
  CHECK(f.routing->Reassign(orders[0].id, "", f.Key("k5")).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("the lead replies only after every co-handler", "[routing]") {
  Fixture f;
  auto facts = f.Facts("r1", Nature::kComplaint, "餐馆后厨卫生差");
  // Place it with a category through a fresh placement (no model in unit tests): assign by desk.
  REQUIRE(f.db.Run([&](Store& s) { return f.routing->OnSubmitted(s, facts, {"e", ""}); }).ok());
  Routing::Assignment a{.lead = "dept.commerce", .co_handlers = {"dept.market-regulation"}};
  auto orders = f.routing->Assign("r1", a, f.Key("k1"));
  REQUIRE(orders.ok());
  REQUIRE(orders->size() == 2);
  const WorkOrder& lead = (*orders)[0];
  const WorkOrder& co = (*orders)[1];
  REQUIRE(f.routing->SignFor(lead.id, f.Key("k2")).ok());
  REQUIRE(f.routing->SignFor(co.id, f.Key("k3")).ok());
  CHECK(ReasonOf(f.routing->Reply(lead.id, Outcome::kResolved, "已处理", f.Key("k4")).status()) ==
        "CO_HANDLERS_PENDING");
  REQUIRE(f.routing->Reply(co.id, Outcome::kPartlyResolved, "已检查", f.Key("k5")).ok());
  CHECK(f.routing->Reply(lead.id, Outcome::kResolved, "已处理", f.Key("k6")).ok());
}

TEST_CASE("withdrawal cancels the orders and unmerging sends a duplicate to triage", "[routing]") {
  Fixture f;
  auto orders = f.Submit(f.Facts("r1", Nature::kCouldNotGetDone, "没办成"));
  REQUIRE(orders.size() == 1);
  REQUIRE(f.db.Run([&](Store& s) { return f.routing->OnWithdrawn(s, "r1", {"e", ""}); }).ok());
  CHECK(f.routing->Get(orders[0].id)->state == OrderState::kCancelled);
  auto dup = f.Facts("r2", Nature::kComplaint, "井盖丢失");
  dup.master_id = "r9";
  f.Submit(dup);
  REQUIRE(f.db.Run([&](Store& s) { return f.routing->OnUnmerged(s, "r2", {"e", ""}); }).ok());
  CHECK(f.db.state.requests.at("r2").state == RequestState::kTriage);
  CHECK(f.db.state.requests.at("r2").triage_reason == "UNMERGED");
}

TEST_CASE("a bundle part goes straight to its unit, once, on the application's clock",
          "[routing]") {
  Fixture f;
  const absl::Time received = Monday10() - absl::Hours(2);
  Routing::BundlePart part{.item_id = "app1/0",
                           .tracking_number = "BA2026030200000001",
                           .title = "开办企业一件事：企业设立登记",
                           .unit_id = "dept.market-regulation",
                           .working_days = 3,
                           .district_code = "410202",
                           .receive_time = received};
  auto o = f.routing->DispatchBundlePart(part, f.Key("p1"));
  REQUIRE(o.ok());
  CHECK(o->unit_id == "dept.market-regulation");
  CHECK(o->rule_id == "bundle");
  CHECK(o->mode == Mode::kHelp);
  CHECK(o->lead);
  CHECK(o->clock_start == received);
  // Received Monday: due by the end of Thursday, the third working day after.
  CHECK(o->deadline ==
        absl::FromCivil(absl::CivilSecond(2026, 3, 6, 0, 0, 0), calendar::CityZone()));
  CHECK(f.db.state.events == std::vector<std::string>{"dispatched:dept.market-regulation"});

  // A retry, with the same or another key, dispatches nothing new.
  f.clock.Advance(absl::Minutes(1));
  auto again = f.routing->DispatchBundlePart(part, f.Key("p2"));
  REQUIRE(again.ok());
  CHECK(again->id == o->id);
  CHECK(f.db.state.orders.size() == 1);

  // A returned part waits on the triage desk like any request.
  REQUIRE(f.routing->Return(o->id, ReturnReason::kNotOurRemit, "非本单位事项", f.Key("p3")).ok());
  CHECK(f.db.state.requests.at("app1/0").state == RequestState::kTriage);

  Routing::BundlePart bad = part;
  bad.item_id = "";
  bad.unit_id = "dept.none";
  bad.working_days = 0;
  bad.receive_time = absl::InfinitePast();
  const absl::Status s = f.routing->DispatchBundlePart(bad, f.Key("p4")).status();
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  for (const char* field : {"item_id", "unit_id", "working_days", "receive_time"}) {
    CHECK(absl::StrContains(s.ToString(), field));
  }
  // An intake request's id is not a part.
  f.Submit(f.Facts("r9", Nature::kComplaint, "路灯不亮"));
  part.item_id = "r9";
  CHECK(ReasonOf(f.routing->DispatchBundlePart(part, f.Key("p5")).status()) ==
        "ITEM_NOT_A_BUNDLE_PART");
}

TEST_CASE("unit staff see and act on their own unit's orders only (lists: the handler)",
          "[routing]") {
  Fixture f;
  auto mine = f.Submit(f.Facts("r1", Nature::kComplaint, "井盖丢失", "410203"));
  REQUIRE(!mine.empty());
  const WorkOrder& o = mine[0];
  const std::string other = o.unit_id == "dept.health" ? "dept.education" : "dept.health";
  // Another unit's staff: the order does not exist for them, whatever they try.
  CHECK(f.routing->Get(o.id, other).status().code() == absl::StatusCode::kNotFound);
  CHECK(f.routing->SignFor(o.id, {"k1", "", other}).status().code() == absl::StatusCode::kNotFound);
  CHECK(f.routing->Reply(o.id, Outcome::kResolved, "已处理", {"k2", "", other}).status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(f.db.state.orders.at(o.id).state == OrderState::kDispatched);
  // The unit's own staff.
  CHECK(f.routing->Get(o.id, o.unit_id).ok());
  CHECK(f.routing->SignFor(o.id, {"k3", "", o.unit_id}).ok());
}

TEST_CASE("the directory and dispatch list refuse bad edits, naming the field", "[routing]") {
  Fixture f;
  Unit loop = *f.routing->directory()->Find("commission");
  loop.parent_id = "window.could-not-get-done";  // its own child
  auto s = f.routing->UpsertUnit(loop, "test");
  REQUIRE(s.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(FieldViolationsOf(s.status())[0].field == "unit.parent_id");
  DispatchList list = *f.routing->dispatch_list();
  list.rules[0].lead = "dept.none";
  list.rules[1].limit = {.working_days = 3, .natural_hours = 5};
  auto u = f.routing->UpdateDispatchList(list, 0, "test");
  REQUIRE(u.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(FieldViolationsOf(u.status()).size() == 2);
  DispatchList good = *f.routing->dispatch_list();
  good.rules.pop_back();
  auto stored = f.routing->UpdateDispatchList(good, 1, "test");
  REQUIRE(stored.ok());
  CHECK(stored->version == 2);
  CHECK(f.routing->GetDispatchList(1)->rules.size() == good.rules.size() + 1);
}

}  // namespace
}  // namespace jiban::routing
