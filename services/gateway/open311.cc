#include "services/gateway/open311.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "libs/calendar/calendar.h"
#include "libs/crypto/sealer.h"
#include "libs/server/timestamp.h"
#include "libs/status/macros.h"
#include "libs/status/status.h"
#include "nlohmann/json.hpp"
#include "proto/jiban/intake/v1/intake.pb.h"
#include "proto/jiban/routing/v1/routing.pb.h"
#include "services/gateway/http.h"

namespace jiban::gateway {
namespace {

namespace iv1 = jiban::intake::v1;
namespace rv1 = jiban::routing::v1;

enum class Format { kJson, kXml };

// One answer's fields in the spec's order; a null value is an empty element in XML.
using Record = std::vector<std::pair<std::string, nlohmann::json>>;

std::string XmlEscape(absl::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string XmlValue(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return XmlEscape(v.get<std::string>());
  if (v.is_array()) return "";  // arrays are rendered by their callers
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Open311::Reply Render(Format f, const char* root, const char* item,
                      const std::vector<Record>& records, int status = 200) {
  Open311::Reply r{.status = status};
  if (f == Format::kJson) {
    nlohmann::json out = nlohmann::json::array();
    for (const Record& rec : records) {
      nlohmann::json o = nlohmann::json::object();
      for (const auto& [k, v] : rec) o[k] = v;
      out.push_back(std::move(o));
    }
    r.content_type = "application/json; charset=utf-8";
    r.body = out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    r.content_type = "text/xml; charset=utf-8";
    r.body = absl::StrCat("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<", root, ">\n");
    for (const Record& rec : records) {
      absl::StrAppend(&r.body, "<", item, ">");
      for (const auto& [k, v] : rec)
        absl::StrAppend(&r.body, "<", k, ">", XmlValue(v), "</", k, ">");
      absl::StrAppend(&r.body, "</", item, ">\n");
    }
    absl::StrAppend(&r.body, "</", root, ">\n");
  }
  return r;
}

Open311::Reply Failure(Format f, const absl::Status& s) {
  const int status = HttpStatusOf(s.code());
  std::string description(s.message());
  for (const FieldViolation& v : FieldViolationsOf(s)) {
    absl::StrAppend(&description, "; ", v.field, ": ", v.description);
  }
  Open311::Reply r =
      Render(f, "errors", "error", {{{"code", status}, {"description", description}}}, status);
  r.retry_after = RetryAfterSeconds(s);
  return r;
}

absl::Status NotFound(absl::string_view what) {
  return Error(absl::StatusCode::kNotFound, "NOT_FOUND", what);
}

std::string Iso(const google::protobuf::Timestamp& t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%S%Ez", server::FromTimestamp(t), calendar::CityZone());
}

std::optional<absl::Time> ParseIso(const std::string& s) {
  absl::Time t;
  std::string err;
  for (const char* f : {"%Y-%m-%dT%H:%M:%S%Ez", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d"}) {
    if (absl::ParseTime(f, s, calendar::CityZone(), &t, &err)) return t;
  }
  return std::nullopt;
}

bool Closed(iv1::RequestStatus s) {
  return s == iv1::REQUEST_STATUS_ANSWERED || s == iv1::REQUEST_STATUS_CLOSED ||
         s == iv1::REQUEST_STATUS_WITHDRAWN;
}

const char* StatusNote(iv1::RequestStatus s) {
  switch (s) {
    case iv1::REQUEST_STATUS_RECEIVED:
      return "已受理 (received)";
    case iv1::REQUEST_STATUS_IN_PROGRESS:
      return "已派单办理中 (dispatched, in progress)";
    case iv1::REQUEST_STATUS_ANSWERED:
      return "已答复 (answered)";
    case iv1::REQUEST_STATUS_CLOSED:
      return "已办结 (closed)";
    case iv1::REQUEST_STATUS_WITHDRAWN:
      return "已撤回 (withdrawn by the requester)";
    default:
      return "";
  }
}

nlohmann::json OrNull(const std::string& s) {
  return s.empty() ? nlohmann::json() : nlohmann::json(s);
}

Record RequestRecord(const iv1::Request& r, const rv1::WorkOrder* lead) {
  const std::string code =
      lead != nullptr && !lead->category().empty() ? lead->category() : "未分类";
  const bool point = r.location().has_point();
  return {{"service_request_id", r.id()},
          {"status", Closed(r.status()) ? "closed" : "open"},
          {"status_notes", StatusNote(r.status())},
          {"service_name", code},
          {"service_code", code},
          {"description", r.title()},
          {"agency_responsible", lead != nullptr ? OrNull(lead->unit_name()) : nlohmann::json()},
          {"service_notice", nullptr},
          {"requested_datetime", Iso(r.create_time())},
          {"updated_datetime",
           r.has_update_time() ? nlohmann::json(Iso(r.update_time())) : nlohmann::json()},
          {"expected_datetime", lead != nullptr && lead->has_deadline()
                                    ? nlohmann::json(Iso(lead->deadline()))
                                    : nlohmann::json()},
          {"address", OrNull(r.location().address())},
          {"address_id", nullptr},
          {"zipcode", nullptr},
          {"lat", point ? nlohmann::json(r.location().point().latitude()) : nlohmann::json()},
          {"long", point ? nlohmann::json(r.location().point().longitude()) : nlohmann::json()},
          {"media_url", nullptr}};
}

}  // namespace

std::map<std::string, std::string> ParseForm(absl::string_view text) {
  std::map<std::string, std::string> out;
  const auto decode = [](absl::string_view s) {
    std::string o;
    for (size_t i = 0; i < s.size(); ++i) {
      int hex = 0;
      if (s[i] == '+') {
        o += ' ';
      } else if (s[i] == '%' && i + 2 < s.size() && absl::SimpleHexAtoi(s.substr(i + 1, 2), &hex)) {
        o += static_cast<char>(hex);
        i += 2;
      } else {
        o += s[i];
      }
    }
    return o;
  };
  for (absl::string_view pair : absl::StrSplit(text, '&', absl::SkipEmpty())) {
    const size_t eq = pair.find('=');
    out[decode(pair.substr(0, eq))] =
        eq == absl::string_view::npos ? "" : decode(pair.substr(eq + 1));
  }
  return out;
}

Open311::Reply Open311::Handle(absl::string_view verb, absl::string_view path,
                               const std::map<std::string, std::string>& params, Incoming in) {
  const size_t dot = path.rfind('.');
  const absl::string_view ext = dot == absl::string_view::npos ? "" : path.substr(dot + 1);
  const Format f = ext == "xml" ? Format::kXml : Format::kJson;
  if (ext != "json" && ext != "xml") {
    return Failure(f, NotFound("add the format: .json or .xml"));
  }
  const std::string resource(path.substr(0, dot));
  const auto param = [&](const char* name) {
    auto it = params.find(name);
    return it == params.end() ? std::string() : it->second;
  };
  // Reads as the gateway's own Open311 principal (forwarded with the in-flight limit; the
  // per-address and per-principal rate limits apply to POST only, through Admit).
  const Principal reader{.subject = "open311", .role = "auditor"};
  const auto call = [&](const char* method, const Principal& p,
                        const google::protobuf::Message& req, google::protobuf::Message* resp) {
    Incoming x = in;
    x.method = method;
    return gateway_.Call(x, p, req, resp);
  };
  // The dispatch list's categories are the services; each with its rules' words.
  struct Service {
    std::vector<std::string> descriptions;
    std::set<std::string> keywords;
  };
  const auto services = [&]() -> absl::StatusOr<std::map<std::string, Service>> {
    rv1::GetDispatchListResponse list;
    JIBAN_RETURN_IF_ERROR(call("jiban.routing.v1.RoutingService/GetDispatchList", reader,
                               rv1::GetDispatchListRequest(), &list));
    std::map<std::string, Service> out;
    for (const auto& rule : list.dispatch_list().rules()) {
      for (const std::string& c : rule.match().categories()) {
        out[c].descriptions.push_back(rule.description());
        out[c].keywords.insert(rule.match().keywords().begin(), rule.match().keywords().end());
      }
    }
    return out;
  };
  const auto lead_of = [&](const std::string& request_id) -> std::optional<rv1::WorkOrder> {
    rv1::ListWorkOrdersRequest req;
    req.set_request_id(request_id);
    rv1::ListWorkOrdersResponse resp;
    if (!call("jiban.routing.v1.RoutingService/ListWorkOrders", reader, req, &resp).ok()) {
      return std::nullopt;
    }
    std::optional<rv1::WorkOrder> lead;
    for (const auto& o : resp.orders()) {
      if (o.lead() && (!lead || o.id() > lead->id())) lead = o;
    }
    return lead;
  };

  if (verb == "GET" && resource == "discovery") {
    Reply r =
        Render(f, "discovery", "endpoint",
               {{{"specification", "http://wiki.open311.org/GeoReport_v2"},
                 {"url", options_.endpoint_url},
                 {"changeset", "2026-11-27T00:00:00+08:00"},
                 {"type", "production"},
                 {"formats", f == Format::kJson ? nlohmann::json{"application/json", "text/xml"}
                                                : nlohmann::json("application/json, text/xml")}}});
    if (f == Format::kJson) {
      r.body = nlohmann::json{{"changeset", "2026-11-27T00:00:00+08:00"},
                              {"contact", "12345 政务服务便民热线"},
                              {"key_service", "API keys are issued by the city's 12345 centre"},
                              {"endpoints", nlohmann::json::parse(r.body)}}
                   .dump();
    }
    return r;
  }
  if (verb == "GET" && resource == "services") {
    auto list = services();
    if (!list.ok()) return Failure(f, list.status());
    std::vector<Record> records;
    for (const auto& [code, s] : *list) {
      records.push_back({{"service_code", code},
                         {"service_name", code},
                         {"description", absl::StrJoin(s.descriptions, "；")},
                         {"metadata", false},
                         {"type", "realtime"},
                         {"keywords", absl::StrJoin(s.keywords, ",")},
                         {"group", "12345"}});
    }
    return Render(f, "services", "service", records);
  }
  if (verb == "GET" && absl::StartsWith(resource, "services/")) {
    const std::string code = resource.substr(9);
    auto list = services();
    if (!list.ok()) return Failure(f, list.status());
    if (!list->contains(code)) return Failure(f, NotFound("no such service_code"));
    Reply r = Render(f, "service_definition", "unused", {});
    r.body =
        f == Format::kJson
            ? nlohmann::json{{"service_code", code}, {"attributes", nlohmann::json::array()}}.dump()
            : absl::StrCat(
                  "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<service_definition>"
                  "<service_code>",
                  XmlEscape(code), "</service_code><attributes></attributes>",
                  "</service_definition>\n");
    return r;
  }
  if (verb == "POST" && resource == "requests") {
    Incoming x = in;
    x.api_key = param("api_key");
    x.method = "jiban.intake.v1.IntakeService/SubmitRequest";
    if (x.api_key.empty()) {
      return Failure(f, Error(absl::StatusCode::kUnauthenticated, "API_KEY_MISSING",
                              "POST requests needs an api_key"));
    }
    auto principal = gateway_.Admit(x);
    if (!principal.ok()) return Failure(f, principal.status());
    auto list = services();
    if (!list.ok()) return Failure(f, list.status());
    Violations v;
    const std::string code = param("service_code");
    if (!list->contains(code)) v.Add("service_code", "one of GET services");
    double lat = 0, lon = 0;
    const bool has_point = absl::SimpleAtod(param("lat"), &lat) &&
                           absl::SimpleAtod(param("long"), &lon) && lat >= -90 && lat <= 90 &&
                           lon >= -180 && lon <= 180;
    if (!has_point && param("address_string").empty()) {
      v.Add("lat", "lat and long, or address_string, are required");
    }
    if (param("description").size() > 4000) v.Add("description", "at most 4000 characters");
    if (!v.empty()) return Failure(f, v.Status());
    // A retry of the same form by the same key is the same request.
    std::string canonical = principal->subject;
    for (const auto& [k, val] : params) {
      if (k != "api_key") absl::StrAppend(&canonical, "\n", k, "=", val);
    }
    iv1::SubmitRequestRequest req;
    req.set_request_id(absl::StrCat("o311-", crypto::Sha256Hex(canonical).substr(0, 40)));
    iv1::Request* r = req.mutable_request();
    r->set_channel(iv1::CHANNEL_OPEN311);
    const std::string description = param("description").empty() ? code : param("description");
    r->set_title(absl::StrCat(code, "：", description).substr(0, 90));
    r->set_text(description);
    const std::string district = param("attribute[district]");
    r->mutable_location()->set_district_code(district.empty() ? options_.default_district
                                                              : district);
    r->mutable_location()->set_address(param("address_string"));
    if (has_point) {
      r->mutable_location()->mutable_point()->set_latitude(lat);
      r->mutable_location()->mutable_point()->set_longitude(lon);
    }
    const std::string phone = param("phone");
    if (phone.empty()) {
      r->set_nature(iv1::NATURE_REPORT);  // may be anonymous
      r->mutable_requester()->set_anonymous(true);
    } else {
      r->set_nature(iv1::NATURE_COMPLAINT);
      const std::string name = absl::StrCat(param("last_name"), param("first_name"));
      r->mutable_requester()->mutable_citizen()->set_name(name.empty() ? "Open311" : name);
      r->mutable_requester()->mutable_citizen()->set_phone(phone);
    }
    iv1::SubmitRequestResponse resp;
    if (auto s = call("jiban.intake.v1.IntakeService/SubmitRequest", *principal, req, &resp);
        !s.ok()) {
      return Failure(f, s);
    }
    return Render(
        f, "service_requests", "request",
        {{{"service_request_id", resp.request().id()},
          {"token", resp.request().id()},
          {"service_notice", absl::StrCat("已受理，受理编号 ", resp.request().tracking_number())},
          {"account_id", nullptr}}},
        201);
  }
  if (verb == "GET" && (resource == "requests" || absl::StartsWith(resource, "requests/") ||
                        absl::StartsWith(resource, "tokens/"))) {
    std::vector<std::string> ids;
    Reply page_info;
    if (resource != "requests") {
      ids.push_back(resource.substr(resource.find('/') + 1));
    } else if (!param("service_request_id").empty()) {
      ids = absl::StrSplit(param("service_request_id"), ',', absl::SkipEmpty());
      if (ids.size() > 50) {
        return Failure(
            f, InvalidArgument("INVALID_REQUEST", {{"service_request_id", "at most 50 ids"}}));
      }
    }
    std::vector<iv1::Request> found;
    if (!ids.empty()) {
      for (const std::string& id : ids) {
        iv1::GetRequestRequest get;
        get.set_id(id);
        iv1::GetRequestResponse got;
        if (call("jiban.intake.v1.IntakeService/GetRequest", reader, get, &got).ok() &&
            !got.request().confidential()) {
          found.push_back(got.request());
        }
      }
      if (resource != "requests" && found.empty()) {
        return Failure(f, NotFound("no such service request"));
      }
    } else {
      Violations v;
      const absl::Time now = absl::Now();
      std::optional<absl::Time> from = now - absl::Hours(24 * 90);
      std::optional<absl::Time> to = now;
      if (!param("start_date").empty() && !(from = ParseIso(param("start_date")))) {
        v.Add("start_date", "an ISO 8601 date-time");
      }
      if (!param("end_date").empty() && !(to = ParseIso(param("end_date")))) {
        v.Add("end_date", "an ISO 8601 date-time");
      }
      const std::string status = param("status");
      if (!status.empty() && status != "open" && status != "closed") {
        v.Add("status", "open or closed");
      }
      int page_size = 50;
      if (!param("page_size").empty() &&
          (!absl::SimpleAtoi(param("page_size"), &page_size) || page_size < 1 || page_size > 100)) {
        v.Add("page_size", "1..100");
      }
      if (!v.empty()) return Failure(f, v.Status());
      if (*from >= *to) return Render(f, "service_requests", "request", {});  // an empty window
      iv1::ListRequestsRequest list;
      list.set_page_size(page_size);
      list.set_page_token(param("page_token"));
      *list.mutable_create_time_from() = server::ToTimestamp(*from);
      *list.mutable_create_time_to() = server::ToTimestamp(*to);
      iv1::ListRequestsResponse listed;
      if (auto s = call("jiban.intake.v1.IntakeService/ListRequests", reader, list, &listed);
          !s.ok()) {
        return Failure(f, s);
      }
      for (const auto& r : listed.requests()) {
        if (r.confidential()) continue;
        if (!status.empty() && (status == "closed") != Closed(r.status())) continue;
        found.push_back(r);
      }
      page_info.next_page_token = listed.next_page_token();
    }
    std::vector<Record> records;
    for (const iv1::Request& r : found) {
      const auto lead = lead_of(r.id());
      if (!param("service_code").empty() && (!lead || lead->category() != param("service_code"))) {
        continue;
      }
      Record rec = RequestRecord(r, lead ? &*lead : nullptr);
      if (absl::StartsWith(resource, "tokens/")) {
        rec = {{"service_request_id", r.id()}, {"token", r.id()}};
      }
      records.push_back(std::move(rec));
    }
    Reply r = Render(f, "service_requests", "request", records);
    r.next_page_token = page_info.next_page_token;
    return r;
  }
  return Failure(f, NotFound("no such Open311 resource"));
}

}  // namespace jiban::gateway
