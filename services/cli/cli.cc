#include "services/cli/cli.h"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"
#include "libs/calendar/calendar.h"
#include "libs/crypto/sealer.h"
#include "libs/status/macros.h"
#include "proto/google/rpc/error_details.pb.h"
#include "proto/google/rpc/status.pb.h"
#include "proto/jiban/assessment/v1/assessment.pb.h"
#include "proto/jiban/bundle/v1/bundle.pb.h"
#include "proto/jiban/escalation/v1/escalation.pb.h"
#include "proto/jiban/intake/v1/intake.pb.h"
#include "proto/jiban/routing/v1/routing.pb.h"

namespace jiban::cli {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::MethodDescriptor;
using google::protobuf::Reflection;

// Linking one message of each contract keeps its descriptors in the generated pool.
void LinkContracts() {
  static const bool linked = [] {
    (void)intake::v1::SubmitRequestRequest::descriptor();
    (void)routing::v1::ListWorkOrdersRequest::descriptor();
    (void)escalation::v1::ListLightsRequest::descriptor();
    (void)assessment::v1::GetRankingsRequest::descriptor();
    (void)bundle::v1::GetCatalogueRequest::descriptor();
    return true;
  }();
  (void)linked;
}

const MethodDescriptor* FindMethod(std::string name) {
  LinkContracts();
  name = std::string(absl::StripPrefix(name, "/"));
  std::replace(name.begin(), name.end(), '/', '.');
  return google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(name);
}

// "ORDER_STATE_" for OrderState: the zero value's name without UNSPECIFIED.
std::string EnumPrefix(const EnumDescriptor& e) {
  const std::string zero = e.value(0)->name();
  return absl::EndsWith(zero, "UNSPECIFIED") ? zero.substr(0, zero.size() - 11) : "";
}

const EnumValueDescriptor* FindEnumValue(const EnumDescriptor& e, const std::string& text) {
  const std::string upper = absl::AsciiStrToUpper(text);
  if (const auto* v = e.FindValueByName(upper)) return v;
  return e.FindValueByName(EnumPrefix(e) + upper);
}

std::string ShortEnumName(const EnumValueDescriptor& v) {
  return absl::AsciiStrToLower(absl::StripPrefix(v.name(), EnumPrefix(*v.type())));
}

bool IsTimestamp(const Descriptor& d) { return d.full_name() == "google.protobuf.Timestamp"; }

std::string FormatTime(const Message& ts) {
  const Reflection& r = *ts.GetReflection();
  const int64_t seconds = r.GetInt64(ts, ts.GetDescriptor()->FindFieldByName("seconds"));
  if (seconds == 0) return "";
  return absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixSeconds(seconds), calendar::CityZone());
}

std::string Scalar(const Message& m, const FieldDescriptor& f, int index) {
  const Reflection& r = *m.GetReflection();
  const bool rep = f.is_repeated();
  switch (f.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return rep ? r.GetRepeatedString(m, &f, index) : r.GetString(m, &f);
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(rep ? r.GetRepeatedInt32(m, &f, index) : r.GetInt32(m, &f));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(rep ? r.GetRepeatedInt64(m, &f, index) : r.GetInt64(m, &f));
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(rep ? r.GetRepeatedUInt32(m, &f, index) : r.GetUInt32(m, &f));
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(rep ? r.GetRepeatedUInt64(m, &f, index) : r.GetUInt64(m, &f));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return absl::StrFormat("%.4g", rep ? r.GetRepeatedDouble(m, &f, index) : r.GetDouble(m, &f));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return absl::StrFormat("%.4g", rep ? r.GetRepeatedFloat(m, &f, index) : r.GetFloat(m, &f));
    case FieldDescriptor::CPPTYPE_BOOL:
      return (rep ? r.GetRepeatedBool(m, &f, index) : r.GetBool(m, &f)) ? "yes" : "no";
    case FieldDescriptor::CPPTYPE_ENUM:
      return ShortEnumName(rep ? *r.GetRepeatedEnum(m, &f, index) : *r.GetEnum(m, &f));
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Message& sub = rep ? r.GetRepeatedMessage(m, &f, index) : r.GetMessage(m, &f);
      return IsTimestamp(*sub.GetDescriptor()) ? FormatTime(sub) : "…";
    }
  }
  return "";
}

absl::Status ParseInto(Message& m, const FieldDescriptor& f, const std::string& path,
                       const std::string& text) {
  const Reflection& r = *m.GetReflection();
  const bool rep = f.is_repeated();
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", why));
  };
  switch (f.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      rep ? r.AddString(&m, &f, text) : r.SetString(&m, &f, text);
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64: {
      int64_t v = 0;
      if (!absl::SimpleAtoi(text, &v)) return bad("not a whole number");
      if (f.cpp_type() == FieldDescriptor::CPPTYPE_INT32) {
        rep ? r.AddInt32(&m, &f, static_cast<int32_t>(v))
            : r.SetInt32(&m, &f, static_cast<int32_t>(v));
      } else if (f.cpp_type() == FieldDescriptor::CPPTYPE_INT64) {
        rep ? r.AddInt64(&m, &f, v) : r.SetInt64(&m, &f, v);
      } else if (f.cpp_type() == FieldDescriptor::CPPTYPE_UINT32) {
        rep ? r.AddUInt32(&m, &f, static_cast<uint32_t>(v))
            : r.SetUInt32(&m, &f, static_cast<uint32_t>(v));
      } else {
        rep ? r.AddUInt64(&m, &f, static_cast<uint64_t>(v))
            : r.SetUInt64(&m, &f, static_cast<uint64_t>(v));
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double v = 0;
      if (!absl::SimpleAtod(text, &v)) return bad("not a number");
      if (f.cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) {
        rep ? r.AddDouble(&m, &f, v) : r.SetDouble(&m, &f, v);
      } else {
        rep ? r.AddFloat(&m, &f, static_cast<float>(v)) : r.SetFloat(&m, &f, static_cast<float>(v));
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool v = false;
      if (!absl::SimpleAtob(text, &v)) return bad("not true or false");
      rep ? r.AddBool(&m, &f, v) : r.SetBool(&m, &f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const EnumValueDescriptor* v = FindEnumValue(*f.enum_type(), text);
      if (v == nullptr) {
        std::vector<std::string> names;
        for (int i = 1; i < f.enum_type()->value_count(); ++i) {
          names.push_back(ShortEnumName(*f.enum_type()->value(i)));
        }
        return bad(absl::StrCat("one of ", absl::StrJoin(names, ", ")));
      }
      rep ? r.AddEnum(&m, &f, v) : r.SetEnum(&m, &f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      if (rep || !IsTimestamp(*f.message_type())) return bad("not a value field");
      absl::Time t;
      std::string err;
      if (!absl::ParseTime(absl::RFC3339_full, text, &t, &err) &&
          !absl::ParseTime("%Y-%m-%d", text, calendar::CityZone(), &t, &err)) {
        return bad("not a time (2026-11-27 or 2026-11-27T09:00:00+08:00)");
      }
      Message* ts = r.MutableMessage(&m, &f);
      const Descriptor& d = *ts->GetDescriptor();
      ts->GetReflection()->SetInt64(ts, d.FindFieldByName("seconds"), absl::ToUnixSeconds(t));
      return absl::OkStatus();
    }
  }
  return bad("unsupported field");
}

// A flag of a command: `--name=value` sets the request field at `path`.
struct Flag {
  std::string name;
  std::string path;
  std::string fallback;  // used when the flag is absent; "" none; "@month" the current month
};

struct Column {
  std::string header;
  std::string path;
};

struct Command {
  std::string name;
  std::string args;  // usage after the name
  std::string help;
  std::string method;
  std::string positional;  // request path of the one positional argument; "" none
  std::vector<Flag> flags;
  std::vector<Column> summary;  // printed as "header: value" lines
  std::string rows;             // a repeated field of the response, printed as a table
  std::vector<Column> columns;
};

const std::vector<Command>& Commands() {
  static const std::vector<Command> commands{
      {"submit",
       "--title=T --text=T --district=CODE [--nature=complaint] [--channel=web] [--name=N "
       "--phone=P | --anonymous] [--address=A]",
       "receive a request; prints its tracking number",
       "jiban.intake.v1.IntakeService.SubmitRequest",
       "",
       {{"title", "request.title"},
        {"text", "request.text"},
        {"district", "request.location.district_code"},
        {"address", "request.location.address"},
        {"nature", "request.nature", "complaint"},
        {"channel", "request.channel", "web"},
        {"name", "request.requester.citizen.name"},
        {"phone", "request.requester.citizen.phone"},
        {"anonymous", "request.requester.anonymous"}},
       {{"tracking number", "request.tracking_number"},
        {"id", "request.id"},
        {"status", "request.status"}}},
      {"track",
       "TRACKING-NUMBER",
       "what has happened to a request",
       "jiban.intake.v1.IntakeService.TrackRequest",
       "tracking_number",
       {},
       {{"status", "status"}},
       "timeline",
       {{"time", "time"}, {"status", "status"}, {"what", "description"}}},
      {"requests",
       "[--status=S] [--nature=N] [--district=CODE]",
       "list requests, newest first",
       "jiban.intake.v1.IntakeService.ListRequests",
       "",
       {{"status", "status"},
        {"nature", "nature"},
        {"district", "district_code"},
        {"page-size", "page_size", "50"}},
       {},
       "requests",
       {{"tracking number", "tracking_number"},
        {"id", "id"},
        {"status", "status"},
        {"nature", "nature"},
        {"received", "create_time"},
        {"title", "title"}}},
      {"evaluate",
       "REQUEST-ID --satisfaction=S --resolution=R [--comment=T]",
       "the requester's evaluation of the answer",
       "jiban.intake.v1.IntakeService.EvaluateRequest",
       "id",
       {{"satisfaction", "evaluation.satisfaction"},
        {"resolution", "evaluation.resolution"},
        {"comment", "evaluation.comment"}},
       {{"status", "request.status"}, {"dissatisfied", "request.evaluation.dissatisfied"}}},
      {"orders",
       "[--unit=ID] [--state=S] [--request=ID]",
       "list work orders",
       "jiban.routing.v1.RoutingService.ListWorkOrders",
       "",
       {{"unit", "unit_id"},
        {"state", "state"},
        {"request", "request_id"},
        {"page-size", "page_size", "50"}},
       {},
       "orders",
       {{"order", "id"},
        {"tracking number", "tracking_number"},
        {"unit", "unit_name"},
        {"state", "state"},
        {"mode", "mode"},
        {"placed by", "rule_id"},
        {"category", "category"},
        {"deadline", "deadline"}}},
      {"order",
       "ORDER-ID",
       "one work order",
       "jiban.routing.v1.RoutingService.GetWorkOrder",
       "id",
       {},
       {{"order", "order.id"},
        {"tracking number", "order.tracking_number"},
        {"unit", "order.unit_name"},
        {"state", "order.state"},
        {"category", "order.category"},
        {"sign for by", "order.sign_for_deadline"},
        {"deadline", "order.deadline"},
        {"answerable", "order.person_answerable.name"}}},
      {"sign",
       "ORDER-ID",
       "sign for a work order (签收)",
       "jiban.routing.v1.RoutingService.SignForWorkOrder",
       "order_id",
       {},
       {{"order", "order.id"}, {"state", "order.state"}, {"deadline", "order.deadline"}}},
      {"return",
       "ORDER-ID --reason=R [--note=T]",
       "return a work order that is not yours (退回)",
       "jiban.routing.v1.RoutingService.ReturnWorkOrder",
       "order_id",
       {{"reason", "reason"}, {"note", "note"}},
       {{"order", "order.id"}, {"state", "order.state"}}},
      {"reply",
       "ORDER-ID --text=T [--outcome=resolved]",
       "answer a work order (办结答复)",
       "jiban.routing.v1.RoutingService.ReplyWorkOrder",
       "order_id",
       {{"outcome", "reply.outcome", "resolved"}, {"text", "reply.text"}},
       {{"order", "order.id"}, {"state", "order.state"}, {"outcome", "order.reply.outcome"}}},
      {"extend",
       "ORDER-ID --days=N --reason=T",
       "ask for more working days (延期)",
       "jiban.routing.v1.RoutingService.RequestExtension",
       "order_id",
       {{"days", "working_days"}, {"reason", "reason"}},
       {{"order", "order.id"}, {"extension", "order.extension.state"}}},
      {"triage",
       "",
       "requests waiting on the triage desk",
       "jiban.routing.v1.RoutingService.ListTriageItems",
       "",
       {{"page-size", "page_size", "50"}},
       {},
       "items",
       {{"request", "request_id"},
        {"tracking number", "tracking_number"},
        {"why", "reason"},
        {"title", "title"}}},
      {"lights",
       "[--unit=ID] [--colour=red|yellow] [--active=true]",
       "yellow and red lights",
       "jiban.escalation.v1.EscalationService.ListLights",
       "",
       {{"unit", "unit_id"},
        {"colour", "colour"},
        {"active", "active_only"},
        {"page-size", "page_size", "50"}},
       {},
       "lights",
       {{"tracking number", "tracking_number"},
        {"unit", "unit_name"},
        {"colour", "colour"},
        {"cause", "cause"},
        {"raised", "raise_time"},
        {"active", "active"}}},
      {"cases",
       "[--unit=ID] [--open=true]",
       "supervision cases (督办)",
       "jiban.escalation.v1.EscalationService.ListCases",
       "",
       {{"unit", "unit_id"}, {"open", "open_only"}, {"page-size", "page_size", "50"}},
       {},
       "cases",
       {{"case", "id"},
        {"tracking number", "tracking_number"},
        {"unit", "unit_name"},
        {"kind", "kind"},
        {"state", "state"},
        {"deadline", "deadline"}}},
      {"score",
       "UNIT-ID [--period=2026-11]",
       "a unit's score for a period, sub-item by sub-item",
       "jiban.assessment.v1.AssessmentService.GetUnitScore",
       "unit_id",
       {{"period", "period", "@month"}},
       {{"unit", "score.unit_name"},
        {"period", "score.period"},
        {"total", "score.total"},
        {"orders", "score.orders"},
        {"red lights", "score.red_lights"}},
       "score.sub_items",
       {{"sub-item", "name"}, {"value", "value"}, {"target", "target"}, {"points", "points"}}},
      {"rankings",
       "[--class=department] [--period=2026-11]",
       "units ranked within their class",
       "jiban.assessment.v1.AssessmentService.GetRankings",
       "",
       {{"class", "unit_class", "department"}, {"period", "period", "@month"}},
       {},
       "rankings",
       {{"rank", "rank"},
        {"unit", "score.unit_name"},
        {"total", "score.total"},
        {"orders", "score.orders"},
        {"red lights", "score.red_lights"}}},
      {"bundles",
       "",
       "the one-thing bundles (一件事)",
       "jiban.bundle.v1.BundleService.GetCatalogue",
       "",
       {},
       {{"catalogue version", "catalogue.version"}},
       "catalogue.bundles",
       {{"bundle", "id"},
        {"name", "name"},
        {"matters", "matter_ids"},
        {"working days", "committed_working_days"}}},
      {"hotspots",
       "[--window-days=30]",
       "problems that keep coming, with a proposed action",
       "jiban.bundle.v1.BundleService.ListHotSpots",
       "",
       {{"window-days", "window_days"}},
       {},
       "hot_spots",
       {{"kind", "kind"},
        {"what", "label"},
        {"district", "district_code"},
        {"requests", "count"},
        {"proposed", "proposed_action"},
        {"decision", "decision.action"}}},
  };
  return commands;
}

int Usage(std::ostream& err) {
  err << "usage: jibanctl [--gateway=HOST:PORT] [--token=JWT] [--json] [--request-id=ID] "
         "COMMAND ...\n"
         "  JIBAN_GATEWAY and JIBAN_TOKEN stand in for --gateway and --token.\n"
         "  --set=PATH=VALUE sets any other request field (e.g. "
         "--set=request.confidential=true)\n\n";
  for (const Command& c : Commands()) {
    err << "  " << c.name << " " << c.args << "\n      " << c.help << "\n";
  }
  err << "  call METHOD JSON|@FILE\n      any method, e.g. "
         "jiban.intake.v1.IntakeService.GetRequest "
         "'{\"id\":\"...\"}'\n"
         "  import FILE [--parallel=8]\n      submit every line of FILE (SubmitRequest in "
         "ProtoJSON, "
         "each with its requestId: re-running is safe)\n";
  return 2;
}

// `import`: one SubmitRequest per line, `parallel` at a time, progress on `err` every second.
int Import(Client& client, const std::string& path, int parallel, std::ostream& out,
           std::ostream& err) {
  std::ifstream in(path);
  if (!in) {
    err << "jibanctl import: cannot read " << path << "\n";
    return 2;
  }
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  absl::Mutex mu;
  size_t next = 0, done = 0, retried = 0;
  std::vector<std::string> refused;  // "line N: CODE: message" (messages carry no personal data)
  std::map<absl::StatusCode, int> failed_attempts;
  // Worth another attempt with the same request id (which makes any retry safe): the service was
  // away, busy or shutting down (gRPC answers CANCELLED for calls it never started).
  auto transient = [](absl::StatusCode c) {
    return c == absl::StatusCode::kUnavailable || c == absl::StatusCode::kDeadlineExceeded ||
           c == absl::StatusCode::kAborted || c == absl::StatusCode::kResourceExhausted ||
           c == absl::StatusCode::kCancelled;
  };
  auto work = [&] {
    while (true) {
      size_t i;
      {
        absl::MutexLock l(&mu);
        if (next == lines.size()) return;
        i = next++;
      }
      absl::Status s = absl::OkStatus();
      if (!absl::StripAsciiWhitespace(lines[i]).empty()) {
        absl::Duration backoff = absl::Milliseconds(200);
        for (int attempt = 1;; ++attempt, backoff *= 2) {
          s = client.CallJson("jiban.intake.v1.IntakeService.SubmitRequest", lines[i]).status();
          if (s.ok()) break;
          bool again = false;
          {
            absl::MutexLock l(&mu);
            ++failed_attempts[s.code()];
            again = transient(s.code()) && attempt < 5;
            if (again) ++retried;
          }
          if (!again) break;
          absl::SleepFor(backoff);  // 0.2, 0.4, 0.8, 1.6 s between the five attempts
        }
      }
      absl::MutexLock l(&mu);
      ++done;
      if (!s.ok()) {
        refused.push_back(absl::StrCat("line ", i + 1, ": ", absl::StatusCodeToString(s.code()),
                                       ": ", s.message()));
      }
    }
  };
  const absl::Time start = absl::Now();
  std::vector<std::thread> workers;
  for (int k = 0; k < parallel; ++k) workers.emplace_back(work);
  auto progress = [&] {
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    err << "import: " << done << "/" << lines.size() << " sent, " << retried << " retried, "
        << refused.size() << " refused, "
        << absl::StrFormat("%.0f", seconds > 0 ? done / seconds : 0) << "/s\n";
  };
  {
    absl::MutexLock l(&mu);
    auto finished = [&] { return done == lines.size(); };
    while (!mu.AwaitWithTimeout(absl::Condition(&finished), absl::Seconds(1))) progress();
    progress();
    for (const auto& [code, n] : failed_attempts) {
      err << "import: failed attempts: " << absl::StatusCodeToString(code) << " " << n << "\n";
    }
  }
  for (auto& w : workers) w.join();
  for (const std::string& r : refused) out << r << "\n";
  return refused.empty() ? 0 : 1;
}

// Splits "--name=value" (or "--name" → "true").
std::optional<std::pair<std::string, std::string>> FlagOf(const std::string& arg) {
  if (!absl::StartsWith(arg, "--")) return std::nullopt;
  const auto eq = arg.find('=');
  if (eq == std::string::npos) return std::pair{arg.substr(2), std::string("true")};
  return std::pair{arg.substr(2, eq - 2), arg.substr(eq + 1)};
}

void PrintError(const absl::Status& s, std::ostream& err) {
  err << "error: " << absl::StatusCodeToString(s.code()) << ": " << s.message() << "\n";
}

// The last field of a dotted path and the message holding it, through singular messages;
// {nullptr, nullptr} when the path names nothing.
std::pair<const Message*, const FieldDescriptor*> FieldAt(const Message& m,
                                                          const std::string& path) {
  const Message* at = &m;
  const std::vector<std::string> parts = absl::StrSplit(path, '.');
  for (size_t i = 0;; ++i) {
    const FieldDescriptor* f = at->GetDescriptor()->FindFieldByName(parts[i]);
    if (f == nullptr) return {nullptr, nullptr};
    if (i + 1 == parts.size()) return {at, f};
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || f->is_repeated()) {
      return {nullptr, nullptr};
    }
    at = &at->GetReflection()->GetMessage(*at, f);
  }
}

// The answer as the user asked for it.
void Print(const Command* c, const Message& resp, bool json, std::ostream& out) {
  if (json || c == nullptr) {
    std::string text;
    google::protobuf::util::JsonPrintOptions o;
    o.add_whitespace = true;
    o.preserve_proto_field_names = false;
    (void)google::protobuf::util::MessageToJsonString(resp, &text, o);
    out << text;
    return;
  }
  for (const Column& col : c->summary) out << col.header << ": " << Cell(resp, col.path) << "\n";
  if (c->rows.empty()) return;
  const auto [m, list] = FieldAt(resp, c->rows);
  if (list == nullptr || !list->is_repeated() ||
      list->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
    return;
  }
  std::vector<std::string> headers;
  for (const Column& col : c->columns) headers.push_back(col.header);
  std::vector<std::vector<std::string>> rows;
  const int n = m->GetReflection()->FieldSize(*m, list);
  for (int i = 0; i < n; ++i) {
    const Message& item = m->GetReflection()->GetRepeatedMessage(*m, list, i);
    std::vector<std::string> row;
    for (const Column& col : c->columns) row.push_back(Cell(item, col.path));
    rows.push_back(std::move(row));
  }
  if (!c->summary.empty()) out << "\n";
  PrintTable(headers, rows, out);
}

int DisplayWidth(absl::string_view s) {
  int width = 0;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    width += len >= 3 ? 2 : 1;  // CJK (three-byte UTF-8 and up) is shown double width
    i += len;
  }
  return width;
}

}  // namespace

Client::Client(std::shared_ptr<grpc::Channel> channel, std::string token, absl::Duration timeout)
    : channel_(std::move(channel)), token_(std::move(token)), timeout_(timeout) {}

absl::StatusOr<std::unique_ptr<Message>> NewRequest(const std::string& method) {
  const MethodDescriptor* m = FindMethod(method);
  if (m == nullptr) return absl::NotFoundError(absl::StrCat("no method ", method));
  const Message* proto =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(m->input_type());
  return std::unique_ptr<Message>(proto->New());
}

absl::StatusOr<std::unique_ptr<Message>> Client::Call(const std::string& method, Message& request,
                                                      const std::string& request_id) {
  const MethodDescriptor* m = FindMethod(method);
  if (m == nullptr) return absl::NotFoundError(absl::StrCat("no method ", method));
  const std::string id = request_id.empty()
                             ? absl::StrCat("cli-", absl::BytesToHexString(crypto::RandomBytes(8)))
                             : request_id;
  // Reads take no idempotency key (ListWorkOrders' `request_id` is a filter, not a key).
  const bool read = absl::StartsWith(m->name(), "List") || absl::StartsWith(m->name(), "Get");
  const FieldDescriptor* rid =
      read ? nullptr : request.GetDescriptor()->FindFieldByName("request_id");
  if (rid != nullptr && rid->cpp_type() == FieldDescriptor::CPPTYPE_STRING && !rid->is_repeated() &&
      request.GetReflection()->GetString(request, rid).empty()) {
    request.GetReflection()->SetString(&request, rid, id);
  }
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  if (!token_.empty()) ctx.AddMetadata("authorization", absl::StrCat("Bearer ", token_));
  ctx.AddMetadata("x-request-id", id);
  std::string bytes;
  request.SerializeToString(&bytes);
  grpc::Slice slice(bytes);
  grpc::ByteBuffer in(&slice, 1), out;
  grpc::GenericStub stub(channel_);
  grpc::Status status;
  absl::Mutex mu;
  bool done = false;
  stub.UnaryCall(&ctx, absl::StrCat("/", m->service()->full_name(), "/", m->name()), {}, &in, &out,
                 [&](grpc::Status s) {
                   absl::MutexLock l(&mu);
                   status = std::move(s);
                   done = true;
                 });
  {
    absl::MutexLock l(&mu);
    mu.Await(absl::Condition(&done));
  }
  if (!status.ok()) {
    std::string message = status.error_message();
    google::rpc::Status details;
    if (details.ParseFromString(status.error_details())) {
      for (const auto& any : details.details()) {
        google::rpc::BadRequest bad;
        if (!any.UnpackTo(&bad)) continue;
        for (const auto& v : bad.field_violations()) {
          absl::StrAppend(&message, "\n  ", v.field(), ": ", v.description());
        }
      }
    }
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()), message);
  }
  std::vector<grpc::Slice> slices;
  (void)out.Dump(&slices);
  std::string answer;
  for (const auto& s : slices) answer.append(reinterpret_cast<const char*>(s.begin()), s.size());
  std::unique_ptr<Message> resp(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(m->output_type())->New());
  if (!resp->ParseFromString(answer)) return absl::DataLossError("unreadable answer");
  return resp;
}

absl::StatusOr<std::unique_ptr<Message>> Client::CallJson(const std::string& method,
                                                          const std::string& json,
                                                          const std::string& request_id) {
  JIBAN_ASSIGN_OR_RETURN(std::unique_ptr<Message> request, NewRequest(method));
  if (auto s = google::protobuf::util::JsonStringToMessage(json, request.get()); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("request body: ", s.message().as_string()));
  }
  return Call(method, *request, request_id);
}

absl::Status SetField(Message& m, const std::string& path, const std::string& value) {
  Message* at = &m;
  std::vector<std::string> parts = absl::StrSplit(path, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const FieldDescriptor* f = at->GetDescriptor()->FindFieldByName(parts[i]);
    if (f == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": no such field"));
    }
    if (i + 1 == parts.size()) return ParseInto(*at, *f, path, value);
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || f->is_repeated()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": not a message"));
    }
    at = at->GetReflection()->MutableMessage(at, f);
  }
  return absl::OkStatus();
}

std::string Cell(const Message& m, const std::string& path) {
  const auto [at, f] = FieldAt(m, path);
  if (f == nullptr) return "";
  if (!f->is_repeated()) return Scalar(*at, *f, 0);
  const int n = at->GetReflection()->FieldSize(*at, f);
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) return absl::StrCat(n);
  std::vector<std::string> items;
  for (int k = 0; k < n; ++k) items.push_back(Scalar(*at, *f, k));
  return absl::StrJoin(items, ", ");
}

void PrintTable(const std::vector<std::string>& headers,
                const std::vector<std::vector<std::string>>& rows, std::ostream& out) {
  std::vector<int> widths;
  for (const auto& h : headers) widths.push_back(DisplayWidth(h));
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], DisplayWidth(row[i]));
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (size_t i = 0; i < cells.size() && i < widths.size(); ++i) {
      text += cells[i];
      if (i + 1 < cells.size()) text += std::string(widths[i] - DisplayWidth(cells[i]) + 2, ' ');
    }
    out << text << "\n";
  };
  line(headers);
  if (rows.empty()) out << "(none)\n";
  for (const auto& row : rows) line(row);
}

int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const char* env_gateway = std::getenv("JIBAN_GATEWAY");
  const char* env_token = std::getenv("JIBAN_TOKEN");
  std::string gateway = env_gateway != nullptr ? env_gateway : "127.0.0.1:8080";
  std::string token = env_token != nullptr ? env_token : "";
  std::string request_id;
  bool json = false;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    auto flag = FlagOf(args[i]);
    if (!flag) break;
    if (flag->first == "gateway") {
      gateway = flag->second;
    } else if (flag->first == "token") {
      token = flag->second;
    } else if (flag->first == "json") {
      json = true;
    } else if (flag->first == "request-id") {
      request_id = flag->second;
    } else if (flag->first == "help") {
      return Usage(out);
    } else {
      err << "jibanctl: unknown option --" << flag->first << "\n";
      return Usage(err);
    }
  }
  if (i == args.size()) return Usage(err);
  const std::string name = args[i++];
  Client client(grpc::CreateChannel(gateway, grpc::InsecureChannelCredentials()), token);

  if (name == "import") {
    int parallel = 8;
    std::vector<std::string> files;
    for (; i < args.size(); ++i) {
      auto flag = FlagOf(args[i]);
      if (!flag) {
        files.push_back(args[i]);
      } else if (flag->first != "parallel" || !absl::SimpleAtoi(flag->second, &parallel) ||
                 parallel < 1 || parallel > 64) {
        err << "jibanctl import: --parallel must be 1..64\n";
        return 2;
      }
    }
    if (files.size() != 1) return Usage(err);
    return Import(client, files[0], parallel, out, err);
  }
  if (name == "call") {
    if (args.size() - i != 2) return Usage(err);
    std::string body = args[i + 1];
    if (absl::StartsWith(body, "@")) {
      std::ifstream f(body.substr(1));
      if (!f) {
        err << "jibanctl: cannot read " << body.substr(1) << "\n";
        return 2;
      }
      body.assign(std::istreambuf_iterator<char>(f), {});
    }
    auto resp = client.CallJson(args[i], body, request_id);
    if (!resp.ok()) {
      PrintError(resp.status(), err);
      return 1;
    }
    Print(nullptr, **resp, true, out);
    out << "\n";
    return 0;
  }

  const Command* command = nullptr;
  for (const Command& c : Commands()) {
    if (c.name == name) command = &c;
  }
  if (command == nullptr) {
    err << "jibanctl: unknown command " << name << "\n";
    return Usage(err);
  }
  auto request = NewRequest(command->method);
  if (!request.ok()) {
    PrintError(request.status(), err);
    return 2;
  }
  std::map<std::string, std::string> given;
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, std::string>> sets;
  for (; i < args.size(); ++i) {
    if (auto flag = FlagOf(args[i])) {
      if (flag->first == "set") {
        const auto eq = flag->second.find('=');
        if (eq == std::string::npos) {
          err << "jibanctl: --set needs PATH=VALUE\n";
          return 2;
        }
        sets.emplace_back(flag->second.substr(0, eq), flag->second.substr(eq + 1));
      } else {
        given[flag->first] = flag->second;
      }
    } else {
      positional.push_back(args[i]);
    }
  }
  if (positional.size() != (command->positional.empty() ? 0u : 1u)) {
    err << "usage: jibanctl " << command->name << " " << command->args << "\n";
    return 2;
  }
  std::vector<absl::Status> problems;
  if (!command->positional.empty()) {
    problems.push_back(SetField(**request, command->positional, positional[0]));
  }
  for (const Flag& f : command->flags) {
    auto it = given.find(f.name);
    std::string value = it != given.end() ? it->second : f.fallback;
    if (it != given.end()) given.erase(it);
    if (value == "@month") value = absl::FormatTime("%Y-%m", absl::Now(), calendar::CityZone());
    if (!value.empty()) problems.push_back(SetField(**request, f.path, value));
  }
  for (const auto& [flag, value] : given) {
    err << "jibanctl " << command->name << ": unknown flag --" << flag << "\n";
    return 2;
  }
  for (const auto& [path, value] : sets) problems.push_back(SetField(**request, path, value));
  bool bad = false;
  for (const absl::Status& s : problems) {
    if (s.ok()) continue;
    err << "jibanctl " << command->name << ": " << s.message() << "\n";
    bad = true;
  }
  if (bad) return 2;
  auto resp = client.Call(command->method, **request, request_id);
  if (!resp.ok()) {
    PrintError(resp.status(), err);
    return 1;
  }
  Print(command, **resp, json, out);
  return 0;
}

}  // namespace jiban::cli
