#include "services/jiban/demo.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "grpcpp/create_channel.h"
#include "libs/calendar/calendar.h"
#include "services/cli/cli.h"
#include "services/gateway/app.h"
#include "services/jiban/suite.h"

namespace jiban::suite {
namespace {

namespace fs = std::filesystem;

// A request written for the demo, and the unit the task force gives it if it reaches the desk.
struct DemoRequest {
  const char* title;
  const char* text;
  const char* district;
  const char* unit;
  const char* nature = "complaint";
};

// Kaifeng's districts: 龙亭区 410202, 顺河回族区 410203, 鼓楼区 410204, 禹王台区 410205.
const DemoRequest kRequests[] = {
    {"公交站台顶棚破损漏雨",
     "大梁路与中山路交叉口公交站台顶棚破了一个大洞，下雨天等车的人都被淋湿。", "410202",
     "dept.transport"},
    {"红绿灯时间太短老人过不去",
     "西门大街十字路口行人绿灯只有十几秒，老人走到一半就变灯了，很危险。", "410204",
     "dept.transport"},
    {"出租车拒载绕路", "晚上在火车站打出租车，司机嫌距离近拒载，还有司机故意绕路多收钱。", "410205",
     "dept.transport"},
    {"小区垃圾清运不及时", "汴京路某小区垃圾桶已经三天没人清理，天气虽冷但味道很大，希望尽快清运。",
     "410203", "dept.urban-management"},
    {"河道漂浮垃圾发臭", "惠济河这一段水面漂着很多塑料袋和泡沫，靠近居民楼的地方有臭味。", "410205",
     "dept.ecology"},
    {"饭店油烟直排扰民", "楼下新开的饭店没有装油烟净化器，油烟直接排到我们阳台上，窗户都不敢开。",
     "410202", "dept.ecology"},
    {"工地扬尘严重", "宋城路一个工地没有覆盖裸土也不洒水，刮风时整条街都是灰。", "410204",
     "dept.ecology"},
    {"学校周边交通拥堵", "实验小学门口每天放学时接孩子的车堵满整条路，希望增加交警疏导。", "410202",
     "dept.education"},
    {"课外培训机构收费不退", "孩子报的培训班突然停课，交的一年学费不给退，多次联系都推脱。",
     "410203", "dept.education"},
    {"社区图书室常年不开门", "我们社区的图书室挂着牌子但一直锁着门，居民想借书都借不到。", "410204",
     "dept.culture-tourism"},
    {"拖欠农民工工资", "我们在某建筑工地干了四个月，包工头一直拖着不发工资，过年回家没有路费。",
     "410205", "dept.hrss"},
    {"社保转移手续办理慢", "从外地调回开封工作，养老保险关系转移申请交了两个月还没有办好。",
     "410202", "dept.hrss"},
    {"医保异地报销材料多", "在郑州住院后回来报销，窗口要求的材料太多，来回跑了好几次。", "410203",
     "dept.medical-security"},
    {"医院挂号难", "市里医院专家号总是一放出来就没有，怀疑有号贩子倒号。", "410204", "dept.health"},
    {"超市出售过期食品", "在某超市买的牛奶已经过期三天了，货架上还有好几盒同样的。", "410205",
     "dept.market-regulation"},
    {"景区门票价格不透明", "清明上河园周边一些小景点门口不标价，进去后才说要收费。", "410202",
     "dept.culture-tourism"},
    {"老旧小区加装电梯",
     "我们小区都是七十岁以上老人，六层楼上下很困难，想申请加装电梯不知道怎么办。", "410203",
     "dept.housing"},
    {"物业费上涨没有公示", "物业公司突然通知物业费上涨，没有开业主大会，也没有公示成本。", "410204",
     "dept.housing"},
    {"公积金提取审核慢", "申请提取住房公积金还贷，审核了二十多天还没有结果。", "410205",
     "dept.housing-fund"},
    {"路灯不亮", "中山路北段小区门口的路灯坏了一周，晚上出行很不方便。", "410202",
     "dept.urban-management"},
    {"下水道井盖缺失", "自由路人行道上有个下水道井盖没有了，只用一根树枝插着，晚上很危险。",
     "410203", "dept.urban-management"},
    {"个体户开票难", "个体工商户去税务大厅开发票，排队两个小时，希望增加窗口或者网上办理。",
     "410204", "dept.tax"},
    {"占道经营影响通行", "鼓楼夜市的摊位越摆越往外，把消防通道都占了。", "410204",
     "dept.urban-management"},
    {"咨询新生儿落户", "孩子刚出生，想问一下办出生证明、落户和医保需要准备哪些材料。", "410202",
     "window.guide", "consultation"},
};

// The cluster: the same problem, reported by six neighbours within days.
const char* kCluster[] = {
    "晋安小区旁边工地夜间施工噪音扰民，晚上十一点后还在打桩，根本睡不着觉。",
    "晋安小区旁边工地夜里施工噪音扰民，半夜还在打桩，老人孩子都睡不着。",
    "晋安小区旁工地夜间施工噪音太大扰民，每天晚上打桩到凌晨，睡不着觉。",
    "晋安小区附近工地夜间施工噪音扰民，晚上十二点还在打桩，无法入睡。",
    "晋安小区旁边的工地夜间施工噪音扰民严重，夜里一直打桩，睡不着觉。",
    "晋安小区旁边工地夜间施工噪音扰民，晚上打桩声音很大，孩子睡不着觉。",
};

class Demo {
 public:
  Demo(Suite& suite, FakeClock& clock, std::string auth, double pace, std::ostream& out)
      : suite_(suite),
        clock_(clock),
        auth_(std::move(auth)),
        pace_(pace),
        out_(out),
        channel_(grpc::CreateChannel(suite.gateway_address(), grpc::InsecureChannelCredentials())) {
  }

  int Run();

 private:
  std::string Token(const std::string& role, const std::string& subject,
                    const std::string& unit = "") {
    auto t = gateway::MintToken(auth_, role, subject, unit, absl::Hours(24 * 30));
    return t.ok() ? *t : "";
  }
  // Shows a jibanctl command and what it prints.
  void Show(const std::string& token, const std::vector<std::string>& args) {
    // As a shell would take it: JSON bodies in single quotes.
    out_ << "\n$ jibanctl " << absl::StrJoin(args, " ", [](std::string* out, const std::string& a) {
      const bool quote = a.find_first_of(" {}\"*$") != std::string::npos;
      absl::StrAppend(out, quote ? "'" : "", a, quote ? "'" : "");
    }) << "\n";
    std::vector<std::string> full = {"--gateway=" + suite_.gateway_address(), "--token=" + token};
    full.insert(full.end(), args.begin(), args.end());
    cli::Run(full, out_, out_);
    Pause();
  }
  // One call whose answer the demo reads (not shown).
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> Call(const std::string& token,
                                                                  const std::string& method,
                                                                  const std::string& json) {
    cli::Client client(channel_, token);  // one connection for every call
    return client.CallJson(method, json);
  }
  // Polls `done` (bounded) while the services work.
  bool WaitFor(const std::function<bool()>& done, absl::Duration limit = absl::Seconds(30)) {
    const absl::Time end = absl::Now() + limit;
    while (!done()) {
      if (absl::Now() > end) return false;
      absl::SleepFor(absl::Milliseconds(20));  // poll interval while another thread works
    }
    return true;
  }
  void Say(const std::string& text) { out_ << "\n== " << text << "\n"; }
  void Pause() {
    if (pace_ > 0) absl::SleepFor(absl::Seconds(pace_));
  }
  int Fail(const std::string& why) {
    out_ << "\ndemo: stopped: " << why << "\n";
    return 1;
  }

  Suite& suite_;
  FakeClock& clock_;
  std::string auth_;
  double pace_;
  std::ostream& out_;
  std::shared_ptr<grpc::Channel> channel_;
};

int Demo::Run() {
  const std::string clerk = Token("window_clerk", "clerk-1");
  const std::string desk = Token("task_force", "task-force-1");
  const std::string officer = Token("commission_officer", "officer-1");
  Say(absl::StrCat("1. Citizens ask: ", std::size(kRequests) + std::size(kCluster) + 1,
                   " requests arrive through the gateway (hotline, app, window)"));
  std::map<std::string, const DemoRequest*> unit_of;  // request id → the demo's request
  std::map<std::string, std::string> citizen_of;      // request id → the subject who asked
  std::vector<std::string> ids;
  auto submit = [&](int i, const DemoRequest& r) -> std::string {
    const std::string subject = absl::StrCat("citizen-", i);
    const std::string json = absl::StrCat(
        R"({"requestId":"demo-)", i, R"(","request":{"channel":"CHANNEL_APP","nature":"NATURE_)",
        absl::AsciiStrToUpper(r.nature), R"(","title":")", r.title, R"(","text":")", r.text,
        R"(","location":{"districtCode":")", r.district,
        R"("},"requester":{"citizen":{"name":"市民)", i, R"(","phone":"1380013)",
        absl::StrFormat("%04d", i), R"("}}}})");
    auto resp =
        Call(Token("requester", subject), "jiban.intake.v1.IntakeService.SubmitRequest", json);
    if (!resp.ok()) {
      out_ << "  submit failed: " << resp.status().message() << "\n";
      return "";
    }
    const std::string id = cli::Cell(**resp, "request.id");
    out_ << "  " << cli::Cell(**resp, "request.tracking_number") << "  " << r.title << "\n";
    citizen_of[id] = subject;
    return id;
  };
  int n = 0;
  for (const DemoRequest& r : kRequests) {
    const std::string id = submit(++n, r);
    if (id.empty()) return Fail("a submission was refused");
    unit_of[id] = &r;
    ids.push_back(id);
  }
  const std::string stalled = ids[0];  // the bus shelter: nobody signs for it
  std::vector<DemoRequest> cluster;
  for (const char* text : kCluster) {
    cluster.push_back({"工地夜间施工噪音扰民", text, "410205", "dept.urban-management"});
  }
  for (const DemoRequest& r : cluster) {
    const std::string id = submit(++n, r);
    if (id.empty()) return Fail("a submission was refused");
    unit_of[id] = &r;
    ids.push_back(id);
  }
  const DemoRequest could_not = {"营业执照变更跑了三次没办成",
                                 "材料齐全，窗口每次都说缺东西，已经来回跑了三次还没办成。",
                                 "410204", "window.could-not-get-done", "could_not_get_done"};
  const std::string could_not_id = submit(++n, could_not);
  if (could_not_id.empty()) return Fail("a submission was refused");
  unit_of[could_not_id] = &could_not;
  Pause();

  Say(suite_.model_file().empty()
          ? "2. Routing places each request by the dispatch list (no classifier model: run "
            "deploy/demo.sh to train one) — what it cannot place waits on the triage desk"
          : "2. Routing places each request: the dispatch list and the trained classifier");
  // Routing applies intake's events in order: once the last request has its order, every earlier
  // one is placed (dispatched, on the triage desk, or following the master it duplicates).
  auto placed = [&] {
    auto orders = Call(desk, "jiban.routing.v1.RoutingService.ListWorkOrders",
                       absl::StrCat(R"({"requestId":")", could_not_id, R"("})"));
    return orders.ok() && cli::Cell(**orders, "orders") != "0";
  };
  if (!WaitFor(placed)) return Fail("routing did not place every request");
  Show(desk, {"triage"});
  auto triage =
      Call(desk, "jiban.routing.v1.RoutingService.ListTriageItems", R"({"pageSize":100})");
  if (!triage.ok()) return Fail(std::string(triage.status().message()));
  const auto* items = static_cast<const google::protobuf::Message*>(triage->get());
  const auto* field = items->GetDescriptor()->FindFieldByName("items");
  const int waiting = items->GetReflection()->FieldSize(*items, field);
  if (waiting > 0) out_ << "\nThe task force assigns what waits on the desk:\n";
  for (int i = 0; i < waiting; ++i) {
    const auto& item = items->GetReflection()->GetRepeatedMessage(*items, field, i);
    const std::string id = cli::Cell(item, "request_id");
    const auto it = unit_of.find(id);
    if (it == unit_of.end()) continue;
    auto done = Call(
        desk, "jiban.routing.v1.RoutingService.AssignTriageItem",
        absl::StrCat(
            R"({"requestId":"assign-)", id, R"(","itemRequestId":")", id, R"(","leadUnitId":")",
            it->second->unit,
            R"(","mode":"HANDLING_MODE_SUPERVISE","timeLimit":{"workingDays":10},"note":"demo"})"));
    if (!done.ok()) return Fail(absl::StrCat("assign: ", done.status().message()));
  }
  Show(desk, {"orders"});

  Say("3. The units sign for their orders and answer; one order (the bus shelter) is left alone");
  auto orders = Call(desk, "jiban.routing.v1.RoutingService.ListWorkOrders", R"({"pageSize":100})");
  if (!orders.ok()) return Fail(std::string(orders.status().message()));
  const auto* list = orders->get();
  const auto* of = list->GetDescriptor()->FindFieldByName("orders");
  std::string stalled_order;
  std::vector<std::string> answered;
  // Co-handlers answer their part before the lead unit answers the whole.
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < list->GetReflection()->FieldSize(*list, of); ++i) {
      const auto& o = list->GetReflection()->GetRepeatedMessage(*list, of, i);
      const std::string order = cli::Cell(o, "id"), request = cli::Cell(o, "request_id");
      const bool lead = cli::Cell(o, "lead") == "yes";
      if (request == stalled) {
        if (lead) stalled_order = order;
        continue;
      }
      if (cli::Cell(o, "state") != "dispatched" || lead != (pass == 1)) continue;
      const std::string staff =
          Token("unit_staff", "staff-" + cli::Cell(o, "unit_id"), cli::Cell(o, "unit_id"));
      auto signed_for = Call(staff, "jiban.routing.v1.RoutingService.SignForWorkOrder",
                             absl::StrCat(R"({"orderId":")", order, R"("})"));
      auto replied = Call(
          staff, "jiban.routing.v1.RoutingService.ReplyWorkOrder",
          absl::StrCat(
              R"({"orderId":")", order,
              R"(","reply":{"outcome":"REPLY_OUTCOME_RESOLVED","text":"已到现场核实并处理完毕，感谢您的反映。"}})"));
      const absl::Status acted = signed_for.ok() ? replied.status() : signed_for.status();
      if (!acted.ok()) return Fail(absl::StrCat(cli::Cell(o, "unit_name"), ": ", acted.message()));
      if (lead) answered.push_back(request);
    }
  }
  Show(desk, {"orders", "--state=replied"});

  Say("4. The requesters track their requests and evaluate the answers");
  int evaluated = 0;
  for (const std::string& id : answered) {
    const std::string token = Token("requester", citizen_of[id]);
    const bool ok = WaitFor([&] {
      auto r = Call(token, "jiban.intake.v1.IntakeService.GetRequest",
                    absl::StrCat(R"({"id":")", id, R"("})"));
      return r.ok() && cli::Cell(**r, "request.status") == "answered";
    });
    if (!ok) continue;  // followed by a master or still moving: not evaluated in the demo
    const bool unhappy = evaluated % 7 == 3;  // a few are dissatisfied
    auto e = Call(
        token, "jiban.intake.v1.IntakeService.EvaluateRequest",
        absl::StrCat(R"({"id":")", id, R"(","evaluation":{"satisfaction":"SATISFACTION_)",
                     unhappy ? "DISSATISFIED" : "VERY_SATISFIED", R"(","resolution":"RESOLUTION_)",
                     unhappy ? "PARTLY_RESOLVED" : "RESOLVED", R"("}})"));
    if (e.ok()) ++evaluated;
  }
  out_ << "  " << evaluated << " requests evaluated\n";
  if (!answered.empty()) {
    auto r = Call(clerk, "jiban.intake.v1.IntakeService.GetRequest",
                  absl::StrCat(R"({"id":")", answered.front(), R"("})"));
    if (r.ok())
      Show(Token("requester", citizen_of[answered.front()]),
           {"track", cli::Cell(**r, "request.tracking_number")});
  }

  Say("5. \"Could not get it done\": a red light at once, and a do-now supervision case");
  Show(officer, {"lights", "--colour=red"});

  Say("6. Time passes (simulated): the bus-shelter order is not signed for");
  auto light_for = [&](const std::string& colour) {
    return WaitFor([&] {
      auto l = Call(officer, "jiban.escalation.v1.EscalationService.ListLights",
                    absl::StrCat(R"({"colour":"LIGHT_COLOUR_)", colour, R"(","pageSize":100})"));
      if (!l.ok()) return false;
      const auto* m = l->get();
      const auto* f = m->GetDescriptor()->FindFieldByName("lights");
      for (int i = 0; i < m->GetReflection()->FieldSize(*m, f); ++i) {
        if (cli::Cell(m->GetReflection()->GetRepeatedMessage(*m, f, i), "order_id") ==
            stalled_order) {
          return true;
        }
      }
      return false;
    });
  };
  clock_.Advance(absl::Hours(20));
  out_ << "  … 20 hours later (80% of the 24-hour sign-for limit)\n";
  if (stalled_order.empty() || !light_for("YELLOW")) return Fail("no yellow light");
  Show(officer, {"lights", "--colour=yellow"});
  clock_.Advance(absl::Hours(5));
  out_ << "  … 25 hours: the sign-for limit has passed\n";
  if (!light_for("RED")) return Fail("no red light");
  Show(officer, {"lights", "--colour=red"});
  // A sign-for red light opens no case by rule (docs/decisions.md); the commission's officer
  // sees it and puts the order under supervision (应办不办监督办) by hand.
  out_ << "  the commission supervises it: 应办不办监督办\n";
  const std::string open_case =
      absl::StrCat(R"({"requestId":"demo-supervise","orderId":")", stalled_order,
                   R"(","kind":"CASE_KIND_SUPERVISE","note":"签收超时，督办"})");
  Show(officer, {"call", "jiban.escalation.v1.EscalationService.OpenCase", open_case});
  // The same request id again answers the same case (and checks that it was opened).
  auto opened = Call(officer, "jiban.escalation.v1.EscalationService.OpenCase", open_case);
  if (!opened.ok() || cli::Cell(**opened, "case.order_id") != stalled_order) {
    return Fail("no supervision case");
  }
  Show(officer, {"cases"});

  Say("7. The same problem keeps coming: a hot spot, with a proposed action");
  const bool hot = WaitFor([&] {
    auto h = Call(desk, "jiban.bundle.v1.BundleService.ListHotSpots", R"({"windowDays":30})");
    return h.ok() && cli::Cell(**h, "hot_spots") != "0";
  });
  if (!hot) return Fail("no hot spot surfaced");
  Show(desk, {"hotspots", "--window-days=30"});

  Say("8. Scores: every unit, every sub-item, explained down to the orders");
  const bool scored = WaitFor([&] {
    auto s = Call(officer, "jiban.assessment.v1.AssessmentService.GetUnitScore",
                  R"({"unitId":"window.could-not-get-done","period":")" +
                      absl::FormatTime("%Y-%m", clock_.Now(), calendar::CityZone()) + R"("})");
    return s.ok() && cli::Cell(**s, "score.red_lights") == "1";
  });
  if (!scored) return Fail("assessment did not score the red light");
  const std::string month = absl::FormatTime("%Y-%m", clock_.Now(), calendar::CityZone());
  Show(officer, {"rankings", "--class=department", "--period=" + month});
  Show(officer, {"score", unit_of[stalled]->unit, "--period=" + month});
  out_ << "\ndemo: done. Everything above went through the gateway; try the same commands "
          "against `jiban dev` (README).\n";
  return 0;
}

}  // namespace

int RunDemo(const std::vector<std::string>& args, std::ostream& out) {
  double pace = 1.0;
  std::string model, data_dir;
  for (const std::string& a : args) {
    bool ok = true;
    if (absl::StartsWith(a, "--pace=")) {
      ok = absl::SimpleAtod(a.substr(7), &pace) && pace >= 0 && pace <= 60;
    } else if (absl::StartsWith(a, "--model=")) {
      model = a.substr(8);
    } else if (absl::StartsWith(a, "--data-dir=")) {
      data_dir = a.substr(11);
    } else {
      ok = false;
    }
    if (!ok) {
      std::cerr << "usage: jiban demo [--pace=SECONDS] [--model=CLASSIFIER] [--data-dir=DIR]\n";
      return 2;
    }
  }
  if (data_dir.empty()) {
    std::string pattern = (fs::temp_directory_path() / "jiban-demo.XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      std::cerr << "jiban demo: cannot make a temporary directory\n";
      return 1;
    }
    data_dir = pattern;
  }
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (!model.empty()) {
    fs::copy_file(model, fs::path(data_dir) / "classifier.model",
                  fs::copy_options::overwrite_existing, ec);
    if (ec) {
      std::cerr << "jiban demo: cannot read the model " << model << ": " << ec.message() << "\n";
      return 2;
    }
  }
  std::ofstream log(fs::path(data_dir) / "services.log");
  FakeClock clock(absl::Now());
  auto suite =
      Suite::Start({.data_dir = data_dir, .standard_ports = false, .clock = &clock, .log = &log});
  if (!suite.ok()) {
    std::cerr << "jiban demo: " << suite.status().message() << "\n";
    return 1;
  }
  out << "Jiban guided demo: every service in this process on SQLite files in " << data_dir
      << " (their logs: services.log); escalation and assessment on a simulated clock.\n";
  (*suite)->PrintAddresses(out);
  std::stringstream auth;
  auth << std::ifstream((*suite)->auth_path()).rdbuf();
  return Demo(**suite, clock, auth.str(), pace, out).Run();
}

}  // namespace jiban::suite
