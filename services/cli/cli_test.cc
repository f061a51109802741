// jibanctl's request building and printing, without a server: flags become typed request fields
// (enums by short name, times, nested paths), bad flags are refused naming the field, answers
// print as tables sized for Chinese text.
#include "services/cli/cli.h"

#include <catch2/catch.hpp>
#include <sstream>

#include "proto/jiban/intake/v1/intake.pb.h"
#include "proto/jiban/routing/v1/routing.pb.h"

namespace jiban::cli {
namespace {

TEST_CASE("flags set typed fields by dotted path, enums by short or full name") {
  auto req = NewRequest("jiban.intake.v1.IntakeService.SubmitRequest");
  REQUIRE(req.ok());
  auto& m = static_cast<intake::v1::SubmitRequestRequest&>(**req);
  CHECK(SetField(m, "request.nature", "could_not_get_done").ok());
  CHECK(SetField(m, "request.channel", "CHANNEL_HOTLINE").ok());
  CHECK(SetField(m, "request.location.district_code", "410202").ok());
  CHECK(SetField(m, "request.confidential", "true").ok());
  CHECK(m.request().nature() == intake::v1::NATURE_COULD_NOT_GET_DONE);
  CHECK(m.request().channel() == intake::v1::CHANNEL_HOTLINE);
  CHECK(m.request().location().district_code() == "410202");
  CHECK(m.request().confidential());

  auto list = NewRequest("jiban.intake.v1.IntakeService/ListRequests");
  REQUIRE(list.ok());
  CHECK(SetField(**list, "create_time_from", "2026-11-01").ok());
  auto& l = static_cast<intake::v1::ListRequestsRequest&>(**list);
  CHECK(l.create_time_from().seconds() == 1'793'462'400);  // 2026-11-01 00:00 in Shanghai
  CHECK(SetField(**list, "page_size", "25").ok());
  CHECK(l.page_size() == 25);
}

TEST_CASE("bad flags are refused with the field named and the choices listed") {
  auto req = NewRequest("jiban.routing.v1.RoutingService.ListWorkOrders");
  REQUIRE(req.ok());
  const absl::Status state = SetField(**req, "state", "lost");
  CHECK(state.code() == absl::StatusCode::kInvalidArgument);
  CHECK(state.message().find("state: one of dispatched, signed_for") != std::string::npos);
  CHECK(SetField(**req, "page_size", "many").message() == "page_size: not a whole number");
  CHECK(SetField(**req, "nonsense", "1").message() == "nonsense: no such field");
  CHECK(NewRequest("jiban.nope.v1.X.Y").status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("cells read enums short, times in the city's zone, repeated fields joined") {
  routing::v1::WorkOrder o;
  o.set_state(routing::v1::ORDER_STATE_SIGNED_FOR);
  o.mutable_deadline()->set_seconds(1'793'505'600);  // 2026-11-01 12:00 Shanghai
  o.mutable_person_answerable()->set_name("王科长");
  CHECK(Cell(o, "state") == "signed_for");
  CHECK(Cell(o, "deadline") == "2026-11-01 12:00");
  CHECK(Cell(o, "person_answerable.name") == "王科长");
  CHECK(Cell(o, "sign_time").empty());
  CHECK(Cell(o, "no_such").empty());
  routing::v1::ListWorkOrdersResponse r;
  r.add_orders();
  r.add_orders();
  CHECK(Cell(r, "orders") == "2");
}

TEST_CASE("tables align columns by display width, Chinese counting two") {
  std::ostringstream out;
  PrintTable({"unit", "state"}, {{"市城管局", "dispatched"}, {"x", "closed"}}, out);
  CHECK(out.str() ==
        "unit      state\n"
        "市城管局  dispatched\n"
        "x         closed\n");
  std::ostringstream empty;
  PrintTable({"a"}, {}, empty);
  CHECK(empty.str() == "a\n(none)\n");
}

TEST_CASE("usage errors exit 2 without calling anything") {
  std::ostringstream out, err;
  CHECK(Run({}, out, err) == 2);
  CHECK(Run({"frobnicate"}, out, err) == 2);
  CHECK(err.str().find("unknown command frobnicate") != std::string::npos);
  std::ostringstream err2;
  CHECK(Run({"orders", "--state=lost"}, out, err2) == 2);
  CHECK(err2.str().find("state: one of") != std::string::npos);
  std::ostringstream err3;
  CHECK(Run({"sign"}, out, err3) == 2);
  CHECK(err3.str().find("usage: jibanctl sign ORDER-ID") != std::string::npos);
  std::ostringstream err4;
  CHECK(Run({"orders", "--colour=red"}, out, err4) == 2);
  CHECK(err4.str().find("unknown flag --colour") != std::string::npos);
}

TEST_CASE("a call to an address where nothing listens fails with UNAVAILABLE, exit 1") {
  std::ostringstream out, err;
  CHECK(Run({"--gateway=127.0.0.1:1", "track", "JB2026112700000001"}, out, err) == 1);
  CHECK(err.str().find("error: UNAVAILABLE") != std::string::npos);
}

}  // namespace
}  // namespace jiban::cli
