// Intake's domain with an in-memory fake store: every validation rule, idempotency, the state
// rules of supplement / withdraw / evaluate / merge, duplicate detection and tracking numbers.
#include "services/intake/domain.h"

#include <catch2/catch.hpp>
#include <map>

#include "libs/pii/pii.h"
#include "libs/status/status.h"
#include "services/intake/store.h"

namespace jiban::intake {
namespace {

class FakeStore final : public IntakeStore {
 public:
  absl::StatusOr<Request> Create(const std::string& request_id, const std::string& canonical,
                                 const Request& request, const Signature&,
                                 const CallContext&) override {
    if (by_request_id.count(request_id)) {
      return Error(absl::StatusCode::kAlreadyExists, "DUPLICATE_REQUEST_ID", "dup");
    }
    Request r = request;
    r.tracking_number = TrackingNumber(r.create_time, ++serial);
    rows[r.id] = r;
    by_request_id[request_id] = {r.id, canonical};
    return r;
  }
  absl::StatusOr<std::optional<Replay>> FindByRequestId(const std::string& request_id,
                                                        const std::string& canonical) override {
    auto it = by_request_id.find(request_id);
    if (it == by_request_id.end()) return std::optional<Replay>();
    return std::optional<Replay>(Replay{rows[it->second.first], it->second.second == canonical});
  }
  absl::StatusOr<std::optional<Request>> Get(const std::string& id) override {
    auto it = rows.find(id);
    if (it == rows.end()) return std::optional<Request>();
    Request r = it->second;
    r.member_count = 0;
    for (const auto& [k, v] : rows) r.member_count += v.master_id == id;
    return std::optional<Request>(r);
  }
  absl::StatusOr<std::optional<Request>> GetByTrackingNumber(const std::string& t) override {
    for (const auto& [k, v] : rows) {
      if (v.tracking_number == t) return std::optional<Request>(v);
    }
    return std::optional<Request>();
  }
  absl::StatusOr<std::vector<Request>> List(const ListQuery& q) override {
    last_query = q;
    std::vector<Request> out;
    for (const auto& [k, v] : rows) out.push_back(v);
    std::sort(out.begin(), out.end(),
              [](const Request& a, const Request& b) { return a.id > b.id; });
    std::vector<Request> page;
    for (const auto& r : out) {
      if (!q.before_id.empty() && r.id >= q.before_id) continue;
      if (!q.filter.submitter.empty() && r.submitter != q.filter.submitter) continue;
      if (static_cast<int>(page.size()) < q.limit) page.push_back(r);
    }
    return page;
  }
  absl::StatusOr<std::vector<TimelineEntry>> History(const std::string& id) override {
    return history[id];
  }
  absl::Status RecordSealedReads(const std::vector<std::string>& ids, const std::string& reader,
                                 absl::Time, const CallContext&) override {
    for (const auto& id : ids) sealed_reads.push_back(reader + "/" + id);
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<DuplicateCandidate>> DuplicateShortlist(
      const std::string& district, const DuplicateCandidate& in,
      const DuplicatePolicy& policy) override {
    const absl::Time since = in.create_time - policy.window;
    std::vector<DuplicateCandidate> out;
    for (const auto& [k, r] : rows) {
      if (r.location.district_code != district || r.create_time < since ||
          r.status != Status::kReceived || !DuplicateEligible(r.nature)) {
        continue;
      }
      DuplicateCandidate c{r.id,
                           r.master_id,
                           r.location.town_code,
                           AddressKey(r.location.address),
                           r.location.latitude,
                           r.location.longitude,
                           "",
                           "",
                           r.create_time};
      c.signature = SignatureOf(ShinglesOf(r.title + r.text));
      out.push_back(c);
    }
    return Shortlist(in, out, policy);
  }
  absl::Status FillTexts(std::vector<DuplicateCandidate>& candidates) override {
    for (auto& c : candidates) {
      c.title = rows[c.id].title;
      c.text = rows[c.id].text;
    }
    return absl::OkStatus();
  }
  std::string AddressKey(const std::string& address) const override { return address; }
  absl::StatusOr<std::vector<Request>> Update(const std::vector<std::string>& ids,
                                              const Decide& decide, absl::Time at,
                                              const std::string&, const CallContext&) override {
    std::map<std::string, Request> staged;
    for (const auto& id : ids) {
      auto cur = Get(id);
      if (!cur->has_value()) return Error(absl::StatusCode::kNotFound, "REQUEST_NOT_FOUND", id);
      Request r = **cur;
      auto m = decide(r);
      if (m.status().code() != absl::StatusCode::kCancelled) {
        if (!m.ok()) return m.status();  // nothing staged is written
        r.status = m->status;
        r.update_time = at;
        if (m->supplement) r.supplements.push_back(*m->supplement);
        if (m->evaluation) r.evaluation = m->evaluation;
        if (m->kind == Mutation::Kind::kMerge) r.master_id = m->master_id;
        if (m->kind == Mutation::Kind::kUnmerge) r.master_id.clear();
        history[id].push_back({at, r.status, m->description});
      }
      staged[id] = r;
    }
    std::vector<Request> out;
    for (const auto& id : ids) {
      rows[id] = staged[id];
      out.push_back(staged[id]);
    }
    return out;
  }

  std::map<std::string, Request> rows;
  std::map<std::string, std::pair<std::string, std::string>> by_request_id;
  std::map<std::string, std::vector<TimelineEntry>> history;
  std::vector<std::string> sealed_reads;  // "reader/request id"
  std::optional<ListQuery> last_query;
  int64_t serial = 0;
};

Request Draft() {
  Request r;
  r.channel = Channel::kHotline;
  r.nature = Nature::kComplaint;
  r.title = "小区门口路灯不亮";
  r.text = "龙亭区中山路北段12号小区门口的路灯已经坏了一周，晚上出行很不方便。";
  r.location.district_code = "410202";
  r.location.town_code = "410202001";
  r.requester.kind = Requester::Kind::kCitizen;
  r.requester.citizen = {"张三", "+86 138 0013 8000", ""};
  return r;
}

struct Env {
  FakeStore store;
  FakeClock clock{absl::FromCivil(absl::CivilSecond(2026, 11, 25, 16, 30, 0), absl::UTCTimeZone())};
  IdGenerator ids{clock, 7};
  Intake intake{store, clock, ids, Districts::Kaifeng()};
};

std::vector<std::string> Fields(const absl::Status& s) {
  std::vector<std::string> out;
  for (const auto& v : FieldViolationsOf(s)) out.push_back(v.field);
  return out;
}

TEST_CASE("a valid request is received with a tracking number in the city's date") {
  Env env;
  auto r = env.intake.Submit("req-1", Draft(), {});
  REQUIRE(r.ok());
  CHECK(r->status == Status::kReceived);
  CHECK(r->id.size() == 26);
  // 16:30 UTC on the 25th is 00:30 on the 26th in Asia/Shanghai.
  CHECK(r->tracking_number == "JB2026112600000001");
  CHECK(r->requester.citizen.phone == "13800138000");  // normalised
  CHECK(env.intake.Get(r->id)->title == Draft().title);
}

TEST_CASE("showing sealed details records the confidential requests among those shown") {
  Env env;
  Request open = Draft();
  Request sealed = Draft();
  sealed.confidential = true;
  sealed.text = "举报某窗口工作人员索要好处费，请为我保密。";
  auto a = env.intake.Submit("s-1", open, {});
  auto b = env.intake.Submit("s-2", sealed, {});
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(env.intake.RecordSealedReads({&*a, &*b}, "commission_officer:officer-7", {}).ok());
  CHECK(env.store.sealed_reads ==
        std::vector<std::string>{"commission_officer:officer-7/" + b->id});
}

TEST_CASE("a consultation answered on the spot is ANSWERED at once and can be evaluated") {
  Env env;
  Request d = Draft();
  d.nature = Nature::kConsultation;
  d.answer = "营业执照可在市民之家一楼3号窗口办理，需身份证原件。";
  d.guide_entry_id = "matter.business-licence";
  auto r = env.intake.Submit("c-1", d, {});
  REQUIRE(r.ok());
  CHECK(r->status == Status::kAnswered);
  auto e =
      env.intake.Evaluate(r->id, {Satisfaction::kSatisfied, Resolution::kResolved, "", {}}, {});
  REQUIRE(e.ok());
  CHECK_FALSE(e->evaluation->dissatisfied());
  auto again =
      env.intake.Evaluate(r->id, {Satisfaction::kSatisfied, Resolution::kResolved, "", {}}, {});
  CHECK(ReasonOf(again.status()) == "ALREADY_EVALUATED");
}

TEST_CASE("the same request id returns the original, a different body is refused") {
  Env env;
  auto first = env.intake.Submit("req-1", Draft(), {});
  REQUIRE(first.ok());
  env.clock.Advance(absl::Minutes(5));
  Request same = Draft();
  same.requester.citizen.phone = "13800138000";  // the same number written differently
  auto again = env.intake.Submit("req-1", same, {});
  REQUIRE(again.ok());
  CHECK(again->id == first->id);
  CHECK(again->tracking_number == first->tracking_number);
  CHECK(env.store.rows.size() == 1);

  Request changed = Draft();
  changed.text += "！";
  auto reused = env.intake.Submit("req-1", changed, {});
  CHECK(reused.status().code() == absl::StatusCode::kAlreadyExists);
  CHECK(ReasonOf(reused.status()) == "REQUEST_ID_REUSED");
}

TEST_CASE("every validation rule names its field, and nothing is stored") {
  Env env;
  Request bad;
  bad.title = std::string(303, 'x');
  bad.location.district_code = "110105";  // Beijing: not this city
  bad.location.town_code = "abc";
  bad.location.latitude = 91;
  bad.location.address = std::string(201, 'a');
  auto r = env.intake.Submit("bad id with spaces", bad, {});
  REQUIRE(r.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(Fields(r.status()) ==
        std::vector<std::string>{"request_id", "request.channel", "request.nature", "request.title",
                                 "request.text", "request.location.district_code",
                                 "request.location.town_code", "request.location.address",
                                 "request.location.point", "request.requester"});
  CHECK(env.store.rows.empty());

  Request citizen = Draft();
  citizen.requester.citizen = {"", "400-810-8888", "110105194912310021"};
  CHECK(Fields(env.intake.Submit("c", citizen, {}).status()) ==
        std::vector<std::string>{"request.requester.citizen.name",
                                 "request.requester.citizen.phone",
                                 "request.requester.citizen.id_number"});

  Request ent = Draft();
  ent.requester.kind = Requester::Kind::kEnterprise;
  ent.requester.enterprise = {"", "91350100M000100Y44", "", ""};
  CHECK(Fields(env.intake.Submit("e", ent, {}).status()) ==
        std::vector<std::string>{"request.requester.enterprise.name",
                                 "request.requester.enterprise.credit_code",
                                 "request.requester.enterprise.contact_name",
                                 "request.requester.enterprise.contact_phone"});

  Request anon = Draft();  // a complaint may not be anonymous
  anon.requester.kind = Requester::Kind::kAnonymous;
  anon.confidential = true;
  CHECK(Fields(env.intake.Submit("a", anon, {}).status()) ==
        std::vector<std::string>{"request.requester.anonymous", "request.confidential"});

  Request extras = Draft();
  extras.answer = "not for complaints";
  extras.help = HelpDetails{"", ""};
  extras.attachments = {{"ftp://x", "ABC", "jpeg", 0}};
  CHECK(Fields(env.intake.Submit("x", extras, {}).status()) ==
        std::vector<std::string>{"request.attachments[0].uri", "request.attachments[0].sha256",
                                 "request.attachments[0].media_type",
                                 "request.attachments[0].size_bytes", "request.answer",
                                 "request.help"});

  Request help = Draft();
  help.nature = Nature::kHelp;
  CHECK(Fields(env.intake.Submit("h", help, {}).status()) ==
        std::vector<std::string>{"request.help"});
  help.help = HelpDetails{"helper.longting-hall", "代老人在线提交了养老保险认证"};
  CHECK(env.intake.Submit("h", help, {}).ok());
}

TEST_CASE("anonymous suggestions and enterprise requesters are accepted") {
  Env env;
  Request anon = Draft();
  anon.nature = Nature::kSuggestion;
  anon.requester.kind = Requester::Kind::kAnonymous;
  CHECK(env.intake.Submit("a", anon, {}).ok());
  Request ent = Draft();
  ent.nature = Nature::kProject;
  ent.requester.kind = Requester::Kind::kEnterprise;
  ent.requester.enterprise = {"开封某某建设有限公司", "91350100m000100y43", "李四",
                              "0371-23456789"};
  auto r = env.intake.Submit("e", ent, {});
  REQUIRE(r.ok());
  CHECK(r->requester.enterprise.credit_code == "91350100M000100Y43");
}

TEST_CASE("a near-duplicate of an open request is linked to it as master") {
  Env env;
  auto first = env.intake.Submit("d-1", Draft(), {});
  REQUIRE(first.ok());
  env.clock.Advance(absl::Hours(2));
  Request similar = Draft();
  similar.text = "中山路北段12号小区门口路灯坏了一个星期，晚上出行很不方便，请修一下。";
  similar.requester.citizen = {"王五", "13900139000", ""};
  auto second = env.intake.Submit("d-2", similar, {});
  REQUIRE(second.ok());
  CHECK(second->master_id == first->id);
  // A third, duplicating the member, is linked to the master, not to the member.
  env.clock.Advance(absl::Hours(1));
  auto third = env.intake.Submit("d-3", similar, {});
  CHECK(third->master_id == first->id);
  // Different text in the same town is not a duplicate.
  Request other = Draft();
  other.title = "垃圾清运不及时";
  other.text = "小区垃圾桶已经满了三天没人清运，气味很大。";
  CHECK(env.intake.Submit("d-4", other, {})->master_id.empty());
  // Outside the window it is a new master.
  env.clock.Advance(absl::Hours(24 * 8));
  CHECK(env.intake.Submit("d-5", Draft(), {})->master_id.empty());
  // Tracking a member shows the master's progress.
  auto track = env.intake.TrackByNumber(second->tracking_number);
  REQUIRE(track.ok());
  CHECK(track->status == Status::kReceived);
  CHECK(track->timeline.front().description == "received");
}

TEST_CASE("similarity, distance and FindMaster") {
  CHECK(TextSimilarity("路灯不亮", "路灯不亮") == 1.0);
  CHECK(TextSimilarity("路灯不亮。", "路灯 不亮") == 1.0);  // punctuation and spaces ignored
  CHECK(TextSimilarity("路灯不亮", "垃圾满了") == 0.0);
  CHECK(TextSimilarity("abc", "ABC") == 1.0);
  CHECK(DistanceMetres(34.797, 114.307, 34.797, 114.307) == 0.0);
  const double d = DistanceMetres(34.7970, 114.3070, 34.7979, 114.3070);  // 0.0009° of latitude
  CHECK(d > 95);
  CHECK(d < 105);
  const absl::Time t0 = absl::FromUnixSeconds(1'700'000'000);
  DuplicateCandidate in{.id = "n",
                        .latitude = 34.797,
                        .longitude = 114.307,
                        .title = "噪音",
                        .text = "工地夜间施工噪音扰民",
                        .create_time = t0};
  std::vector<DuplicateCandidate> open = {{.id = "far",
                                           .latitude = 34.80,
                                           .longitude = 114.32,
                                           .title = "噪音",
                                           .text = "工地夜间施工噪音扰民",
                                           .create_time = t0 - absl::Hours(1)},
                                          {.id = "near",
                                           .latitude = 34.7975,
                                           .longitude = 114.307,
                                           .title = "噪音",
                                           .text = "工地夜间施工噪音很大扰民",
                                           .create_time = t0 - absl::Hours(1)}};
  DuplicatePolicy policy;
  CHECK(FindMaster(in, open, policy) == std::optional<std::string>("far"));  // identical text
  open[0].text = "工地夜间施工噪音很大";  // no longer nearly the same: needs the same place
  CHECK(FindMaster(in, open, policy) == std::optional<std::string>("near"));
  open[1].master_id = "m";
  CHECK(FindMaster(in, open, policy) == std::optional<std::string>("m"));
}

TEST_CASE("signatures estimate similarity and screen the candidates") {
  const Shingles a = ShinglesOf("工地夜间施工噪音扰民，严重影响居民休息，请尽快处理");
  const Shingles b = ShinglesOf("工地夜间施工噪音扰民，严重影响居民休息");
  const Shingles c = ShinglesOf("小区垃圾桶已经满了三天没人清运");
  CHECK(pii::MinHashSimilarity(SignatureOf(a), SignatureOf(a)) == 1.0);
  CHECK(pii::MinHashSimilarity(SignatureOf(a), SignatureOf(b)) > 0.4);
  CHECK(pii::MinHashSimilarity(SignatureOf(a), SignatureOf(c)) < 0.2);
  CHECK(pii::DecodeMinHash(pii::EncodeMinHash(SignatureOf(a))) == SignatureOf(a));
  CHECK(pii::EncodeMinHash(SignatureOf(a)).size() == 4 * kSignatureSize);
  const absl::Time t0 = absl::FromUnixSeconds(1'700'000'000);
  DuplicateCandidate in{.id = "n",
                        .town_code = "410202001",
                        .title = "噪音",
                        .text = "工地夜间施工噪音扰民，严重影响居民休息，请尽快处理",
                        .create_time = t0};
  in.signature = SignatureOf(ShinglesOf(in.title + in.text));
  std::vector<DuplicateCandidate> open;
  for (const auto& [id, text] : std::vector<std::pair<std::string, std::string>>{
           {"same", "工地夜间施工噪音扰民，严重影响居民休息"},
           {"other", "小区垃圾桶已经满了三天没人清运"},
           {"old", "工地夜间施工噪音扰民，严重影响居民休息，请尽快处理"}}) {
    DuplicateCandidate c{
        .id = id,
        .town_code = "410202001",
        .title = "噪音",
        .text = text,
        .create_time = id == "old" ? t0 - absl::Hours(24 * 30) : t0 - absl::Hours(1)};
    c.signature = SignatureOf(ShinglesOf(c.title + c.text));
    open.push_back(c);
  }
  auto list = Shortlist(in, open, DuplicatePolicy{});
  REQUIRE(list.size() == 1);
  CHECK(list[0].id == "same");
}

TEST_CASE("supplement, withdraw and evaluate follow the request's state") {
  Env env;
  auto r = env.intake.Submit("s-1", Draft(), {});
  REQUIRE(r.ok());
  auto empty = env.intake.AddSupplement("sup-0", r->id, {}, {});
  CHECK(Fields(empty.status()) == std::vector<std::string>{"supplement"});
  auto sup = env.intake.AddSupplement("sup-1", r->id, {"补充：晚上8点以后完全不亮。", {}, {}}, {});
  REQUIRE(sup.ok());
  CHECK(sup->supplements.size() == 1);
  auto eval = env.intake.Evaluate(
      r->id, {Satisfaction::kDissatisfied, Resolution::kNotResolved, "", {}}, {});
  CHECK(ReasonOf(eval.status()) == "NOT_ANSWERED");
  CHECK(Fields(env.intake.Evaluate(r->id, {}, {}).status()) ==
        std::vector<std::string>{"evaluation.satisfaction", "evaluation.resolution"});
  auto w = env.intake.Withdraw(r->id, "已经修好了", {});
  REQUIRE(w.ok());
  CHECK(w->status == Status::kWithdrawn);
  CHECK(env.intake.Withdraw(r->id, "", {})->status == Status::kWithdrawn);  // twice is fine
  CHECK(ReasonOf(env.intake.AddSupplement("sup-2", r->id, {"x", {}, {}}, {}).status()) ==
        "REQUEST_FINISHED");
  auto track = env.intake.TrackByNumber(r->tracking_number);
  REQUIRE(track.ok());
  CHECK(track->status == Status::kWithdrawn);
  std::vector<std::string> steps;
  for (const auto& e : track->timeline) steps.push_back(e.description);
  CHECK(steps ==
        std::vector<std::string>{"received", "supplemented", "withdrawn by the requester"});
  CHECK(env.intake.Get("nope").status().code() == absl::StatusCode::kNotFound);
  CHECK(env.intake.TrackByNumber("JB123").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ReasonOf(env.intake.TrackByNumber("JB2099010100000001").status()) == "REQUEST_NOT_FOUND");
}

TEST_CASE("a requester's requests exist for it alone") {
  Env env;
  const CallContext alice{.request_id = "", .trace_id = "", .owner = "citizen-alice"};
  const CallContext bob{.request_id = "", .trace_id = "", .owner = "citizen-bob"};
  auto r = env.intake.Submit("a-1", Draft(), alice);
  REQUIRE(r.ok());
  CHECK(r->submitter == "citizen-alice");
  CHECK(env.intake.Get(r->id, "citizen-alice").ok());
  CHECK(env.intake.Get(r->id).ok());  // staff
  // Bob, with Alice's id: nothing there, whatever he tries.
  CHECK(ReasonOf(env.intake.Get(r->id, "citizen-bob").status()) == "REQUEST_NOT_FOUND");
  CHECK(ReasonOf(env.intake.Withdraw(r->id, "", bob).status()) == "REQUEST_NOT_FOUND");
  CHECK(ReasonOf(env.intake.AddSupplement("b-2", r->id, {"x", {}, {}}, bob).status()) ==
        "REQUEST_NOT_FOUND");
  CHECK(
      ReasonOf(
          env.intake.Evaluate(r->id, {Satisfaction::kSatisfied, Resolution::kResolved, "", {}}, bob)
              .status()) == "REQUEST_NOT_FOUND");
  CHECK(env.intake.Get(r->id)->status == Status::kReceived);
  auto bobs = env.intake.List({.submitter = "citizen-bob"}, 20, "");
  REQUIRE(bobs.ok());
  CHECK(bobs->requests.empty());
  auto alices = env.intake.List({.submitter = "citizen-alice"}, 20, "");
  REQUIRE(alices.ok());
  CHECK(alices->requests.size() == 1);
  // Bob reusing Alice's request id does not get her request back.
  CHECK(ReasonOf(env.intake.Submit("a-1", Draft(), bob).status()) == "REQUEST_ID_REUSED");
  CHECK(env.intake.Submit("a-1", Draft(), alice)->id == r->id);
}

TEST_CASE("merge and unmerge keep one master and refuse what would tangle") {
  Env env;
  Request a = Draft(), b = Draft(), c = Draft();
  b.location.town_code = "410202002";
  b.title = "另一件事";
  b.text = "完全不同的内容，关于供暖。";
  c.location.town_code = "410202003";
  c.title = "第三件";
  c.text = "关于公交站台破损。";
  auto ra = env.intake.Submit("m-a", a, {}), rb = env.intake.Submit("m-b", b, {}),
       rc = env.intake.Submit("m-c", c, {});
  REQUIRE((ra.ok() && rb.ok() && rc.ok()));
  CHECK(Fields(env.intake.Merge(ra->id, {ra->id}, {}).status()) ==
        std::vector<std::string>{"member_ids[0]"});
  auto merged = env.intake.Merge(ra->id, {rb->id}, {});
  REQUIRE(merged.ok());
  CHECK(merged->front().master_id == ra->id);
  CHECK(env.intake.Merge(ra->id, {rb->id}, {}).ok());  // again: no change
  CHECK(ReasonOf(env.intake.Merge(rb->id, {rc->id}, {}).status()) == "MASTER_IS_MEMBER");
  CHECK(ReasonOf(env.intake.Merge(rc->id, {ra->id}, {}).status()) == "MEMBER_IS_MASTER");
  CHECK(env.intake.Get(ra->id)->member_count == 1);
  auto un = env.intake.Unmerge(rb->id, {});
  REQUIRE(un.ok());
  CHECK(un->master_id.empty());
  CHECK(ReasonOf(env.intake.Unmerge(rb->id, {}).status()) == "NOT_MERGED");
}

TEST_CASE("list validates its filters and pages by keyset") {
  Env env;
  for (int i = 0; i < 5; ++i) {
    Request d = Draft();
    d.title = "第" + std::to_string(i) + "件";
    d.text = "内容" + std::to_string(i) + "与众不同" + std::string(i, 'x');
    d.location.town_code = "41020200" + std::to_string(i + 1);
    REQUIRE(env.intake.Submit("l-" + std::to_string(i), d, {}).ok());
    env.clock.Advance(absl::Seconds(1));
  }
  auto p1 = env.intake.List({}, 2, "");
  REQUIRE(p1.ok());
  CHECK(p1->requests.size() == 2);
  CHECK(p1->requests[0].title == "第4件");
  REQUIRE_FALSE(p1->next_page_token.empty());
  auto p2 = env.intake.List({}, 2, p1->next_page_token);
  CHECK(p2->requests[0].title == "第2件");
  auto p3 = env.intake.List({}, 2, p2->next_page_token);
  CHECK(p3->requests.size() == 1);
  CHECK(p3->next_page_token.empty());
  Intake::ListFilter bad;
  bad.district_code = "41";
  bad.requester_phone = "abc";
  bad.from = absl::FromUnixSeconds(10);
  bad.to = absl::FromUnixSeconds(5);
  CHECK(Fields(env.intake.List(bad, 101, "garbage").status()) ==
        std::vector<std::string>{"page_size", "page_token", "district_code", "create_time_to",
                                 "requester_phone"});
  Intake::ListFilter phone;
  phone.requester_phone = "+86 138-0013-8000";
  REQUIRE(env.intake.List(phone, 0, "").ok());
  CHECK(env.store.last_query->filter.requester_phone == "13800138000");
  CHECK(env.store.last_query->limit == 21);
}

}  // namespace
}  // namespace jiban::intake
