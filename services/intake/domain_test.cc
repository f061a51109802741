// Intake's domain with an in-memory fake store: validation, idempotency and tracking numbers.
#include "services/intake/domain.h"

#include <catch2/catch.hpp>
#include <map>

#include "libs/status/status.h"
#include "services/intake/store.h"

namespace jiban::intake {
namespace {

class FakeStore final : public IntakeStore {
 public:
  absl::StatusOr<Request> Create(const std::string& request_id, const std::string& fingerprint,
                                 const Request& request, const CallContext&) override {
    ++creates;
    if (by_request_id.count(request_id)) {
      return Error(absl::StatusCode::kAlreadyExists, "DUPLICATE_REQUEST_ID", "dup");
    }
    Request r = request;
    r.tracking_number = TrackingNumber(r.create_time, static_cast<int64_t>(by_id.size()) + 1);
    by_id[r.id] = r;
    by_request_id[request_id] = {r, fingerprint};
    return r;
  }
  absl::StatusOr<std::optional<StoredSubmission>> FindByRequestId(
      const std::string& request_id) override {
    auto it = by_request_id.find(request_id);
    if (it == by_request_id.end()) return std::optional<StoredSubmission>();
    return std::optional<StoredSubmission>(it->second);
  }
  absl::StatusOr<std::optional<Request>> Get(const std::string& id) override {
    auto it = by_id.find(id);
    if (it == by_id.end()) return std::optional<Request>();
    return std::optional<Request>(it->second);
  }

  std::map<std::string, Request> by_id;
  std::map<std::string, StoredSubmission> by_request_id;
  int creates = 0;
};

Request Draft() {
  Request r;
  r.channel = Channel::kHotline;
  r.nature = Nature::kComplaint;
  r.title = "小区门口路灯不亮";
  r.text = "幸福路12号小区门口的路灯已经坏了一周，晚上出行很不方便。";
  r.location.district_code = "110105";
  return r;
}

struct Env {
  FakeStore store;
  FakeClock clock{absl::FromCivil(absl::CivilSecond(2026, 11, 25, 16, 30, 0), absl::UTCTimeZone())};
  IdGenerator ids{clock, 7};
  Intake intake{store, clock, ids};
};

TEST_CASE("a valid request is received with a tracking number in the city's date") {
  Env env;
  auto r = env.intake.Submit("req-1", Draft(), {});
  REQUIRE(r.ok());
  CHECK(r->status == Status::kReceived);
  CHECK(r->id.size() == 26);
  // 16:30 UTC on the 25th is 00:30 on the 26th in Asia/Shanghai.
  CHECK(r->tracking_number == "JB2026112600000001");
  CHECK(env.intake.Get(r->id)->title == Draft().title);
}

TEST_CASE("the same request id returns the original, a different body is refused") {
  Env env;
  auto first = env.intake.Submit("req-1", Draft(), {});
  REQUIRE(first.ok());
  env.clock.Advance(absl::Minutes(5));
  auto again = env.intake.Submit("req-1", Draft(), {});
  REQUIRE(again.ok());
  CHECK(again->id == first->id);
  CHECK(again->tracking_number == first->tracking_number);
  CHECK(env.store.by_id.size() == 1);

  Request changed = Draft();
  changed.text += "！";
  auto reused = env.intake.Submit("req-1", changed, {});
  CHECK(reused.status().code() == absl::StatusCode::kAlreadyExists);
  CHECK(ReasonOf(reused.status()) == "REQUEST_ID_REUSED");
}

TEST_CASE("invalid input names every offending field and stores nothing") {
  Env env;
  Request bad;
  bad.title = std::string(101 * 3, 'x');  // 303 code points
  bad.location.district_code = "11010";
  bad.location.town_code = "abc";
  bad.location.latitude = 91;
  auto r = env.intake.Submit("bad id with spaces", bad, {});
  REQUIRE(r.status().code() == absl::StatusCode::kInvalidArgument);
  std::vector<std::string> fields;
  for (const auto& v : FieldViolationsOf(r.status())) fields.push_back(v.field);
  CHECK(fields == std::vector<std::string>{"request_id", "request.channel", "request.nature",
                                           "request.title", "request.text",
                                           "request.location.district_code",
                                           "request.location.town_code",
                                           "request.location.point"});
  CHECK(env.store.creates == 0);
  CHECK(ValidateSubmit(std::string(65, 'a'), Draft()).code() == absl::StatusCode::kInvalidArgument);
  Request chinese = Draft();
  chinese.title = std::string();
  for (int i = 0; i < 100; ++i) chinese.title += "路";  // 100 code points, 300 bytes: fine
  CHECK(ValidateSubmit("ok", chinese).ok());
}

TEST_CASE("get of an unknown id is NOT_FOUND with a reason") {
  Env env;
  auto r = env.intake.Get("01JXXXXXXXXXXXXXXXXXXXXXXX");
  CHECK(r.status().code() == absl::StatusCode::kNotFound);
  CHECK(ReasonOf(r.status()) == "REQUEST_NOT_FOUND");
  CHECK(env.intake.Get("").status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("fingerprints tell drafts apart") {
  Request a = Draft();
  Request b = Draft();
  CHECK(Fingerprint(a) == Fingerprint(b));
  b.location.latitude = 39.9;
  b.location.longitude = 116.4;
  CHECK(Fingerprint(a) != Fingerprint(b));
  Request c = Draft();
  c.title = Draft().title + Draft().text.substr(0, 3);
  c.text = Draft().text.substr(3);
  CHECK(Fingerprint(a) != Fingerprint(c));
}

}  // namespace
}  // namespace jiban::intake
