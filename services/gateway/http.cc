#include "services/gateway/http.h"

#include <CivetServer.h>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/json_util.h"
#include "libs/server/call.h"
#include "libs/status/status.h"
#include "nlohmann/json.hpp"
#include "services/gateway/open311.h"

namespace jiban::gateway {
namespace {

std::string Header(mg_connection* conn, const char* name) {
  const char* v = mg_get_header(conn, name);
  return v == nullptr ? "" : v;
}

void Reply(mg_connection* conn, int status, const std::string& body, int retry_after = 0,
           const std::string& content_type = "application/json",
           const std::string& extra_headers = "") {
  const std::string headers = absl::StrCat(
      retry_after > 0 ? absl::StrCat("Retry-After: ", retry_after, "\r\n") : "", extra_headers);
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
            "Connection: close\r\n\r\n",
            status, mg_get_response_code_text(conn, status), content_type.c_str(), body.size(),
            headers.c_str());
  mg_write(conn, body.data(), body.size());
}

// The request's body, at most `max` bytes; nullopt when it is longer.
std::optional<std::string> ReadBody(mg_connection* conn, size_t max) {
  std::string body;
  char buf[8192];
  for (int n; (n = mg_read(conn, buf, sizeof(buf))) > 0;) {
    body.append(buf, static_cast<size_t>(n));
    if (body.size() > max) return std::nullopt;
  }
  return body;
}

// The caller as the faces know it: address, credentials, request id and trace (made when absent
// or invalid).
Incoming IncomingOf(mg_connection* conn) {
  const mg_request_info* info = mg_get_request_info(conn);
  Incoming in{.authorization = Header(conn, "Authorization"),
              .api_key = Header(conn, "X-Api-Key"),
              .peer = info->remote_addr,
              .request_id = Header(conn, "X-Request-Id"),
              .traceparent = Header(conn, "traceparent")};
  if (in.request_id.empty() || in.request_id.size() > 128) in.request_id = server::NewRequestId();
  if (!server::ParseTraceparent(in.traceparent)) {
    in.traceparent = server::TraceContext{server::NewTraceId(), server::NewSpanId(), "01"}.Header();
  }
  return in;
}

// The parser's words without the caller's: every "quoted" piece removed.
std::string Scrubbed(absl::string_view message) {
  std::string out;
  char quote = 0;  // the quote being skipped, if any
  for (char c : message.substr(0, 300)) {
    if (quote != 0) {
      if (c == quote) {
        out += c;
        quote = 0;
      }
    } else {
      out += c;
      if (c == '"' || c == '\'') {
        quote = c;
        out += "…";
      }
    }
  }
  return out;
}

}  // namespace

int HttpStatusOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kCancelled:
      return 499;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

std::string ErrorBody(const absl::Status& status, absl::string_view request_id) {
  nlohmann::json violations = nlohmann::json::array();
  for (const FieldViolation& v : FieldViolationsOf(status)) {
    violations.push_back({{"field", v.field}, {"description", v.description}});
  }
  return nlohmann::json{{"error",
                         {{"code", absl::StatusCodeToString(status.code())},
                          {"httpStatus", HttpStatusOf(status.code())},
                          {"reason", ReasonOf(status)},
                          {"message", std::string(status.message())},
                          {"fieldViolations", violations},
                          {"requestId", std::string(request_id)}}}}
      // A message may quote bytes of the body that are not UTF-8: replaced, never thrown on.
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::Status ParseJsonBody(const std::string& body, google::protobuf::Message& request) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  if (auto parsed = google::protobuf::util::JsonStringToMessage(body, &request, options);
      !parsed.ok()) {
    return Error(absl::StatusCode::kInvalidArgument, "MALFORMED_JSON",
                 absl::StrCat("the body is not a valid ", request.GetDescriptor()->full_name(),
                              ": ", Scrubbed(parsed.message().as_string())));
  }
  return absl::OkStatus();
}

absl::Status CheckNesting(absl::string_view json, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) {
        return Error(absl::StatusCode::kInvalidArgument, "JSON_TOO_DEEP",
                     absl::StrCat("the body nests deeper than ", max_depth, " levels"));
      }
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return absl::OkStatus();
}

class HttpFace::Handler final : public CivetHandler {
 public:
  explicit Handler(Gateway& gateway) : gateway_(gateway) {}

  bool handlePost(CivetServer*, mg_connection* conn) override {
    const mg_request_info* info = mg_get_request_info(conn);
    Incoming in = IncomingOf(conn);
    const absl::string_view uri = info->local_uri != nullptr ? info->local_uri : "";
    in.method = std::string(uri.substr(std::min<size_t>(uri.size(), 4)));  // after "/v1/"
    auto fail = [&](const absl::Status& s) {
      Reply(conn, HttpStatusOf(s.code()), ErrorBody(s, in.request_id), RetryAfterSeconds(s));
      return true;
    };

    const size_t slash = in.method.find('/');
    const google::protobuf::MethodDescriptor* method =
        slash == std::string::npos
            ? nullptr
            : google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
                  absl::StrCat(in.method.substr(0, slash), ".", in.method.substr(slash + 1)));
    if (method == nullptr || method->client_streaming() || method->server_streaming()) {
      return fail(Error(absl::StatusCode::kNotFound, "METHOD_NOT_FOUND", "no such method"));
    }
    if (info->content_length > static_cast<int64_t>(gateway_.limits().max_message_bytes)) {
      return fail(Error(absl::StatusCode::kInvalidArgument, "BODY_TOO_LARGE",
                        "the body is larger than the gateway accepts"));
    }
    std::optional<std::string> read = ReadBody(conn, gateway_.limits().max_message_bytes);
    if (!read) {
      return fail(Error(absl::StatusCode::kInvalidArgument, "BODY_TOO_LARGE",
                        "the body is larger than the gateway accepts"));
    }
    std::string body = read->empty() ? "{}" : std::move(*read);
    if (absl::Status deep = CheckNesting(body, 32); !deep.ok()) return fail(deep);

    auto principal = gateway_.Admit(in);
    if (!principal.ok()) return fail(principal.status());

    const google::protobuf::Message* prototype =
        google::protobuf::MessageFactory::generated_factory()->GetPrototype(method->input_type());
    std::unique_ptr<google::protobuf::Message> request(prototype->New());
    if (absl::Status parsed = ParseJsonBody(body, *request); !parsed.ok()) return fail(parsed);
    std::unique_ptr<google::protobuf::Message> out(
        google::protobuf::MessageFactory::generated_factory()
            ->GetPrototype(method->output_type())
            ->New());
    if (absl::Status s = gateway_.Call(in, *principal, *request, out.get()); !s.ok()) {
      return fail(s);
    }
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(*out, &json).ok()) {
      return fail(absl::InternalError("the backend's answer could not be converted"));
    }
    Reply(conn, 200, json);
    return true;
  }

  bool handleGet(CivetServer*, mg_connection* conn) override {
    Reply(conn, 405,
          ErrorBody(Error(absl::StatusCode::kInvalidArgument, "METHOD_NOT_ALLOWED",
                          "every RPC is POST /v1/<package.Service>/<Method>"),
                    ""));
    return true;
  }

 private:
  Gateway& gateway_;
};

// Open311 GeoReport v2 under /open311/v2/: the query's and the form's parameters.
class HttpFace::Open311Handler final : public CivetHandler {
 public:
  Open311Handler(Gateway& gateway, Open311Options options)
      : gateway_(gateway), open311_(gateway, std::move(options)) {}
  bool handleGet(CivetServer*, mg_connection* conn) override { return Serve(conn, "GET"); }
  bool handlePost(CivetServer*, mg_connection* conn) override { return Serve(conn, "POST"); }

 private:
  bool Serve(mg_connection* conn, const char* verb) {
    const mg_request_info* info = mg_get_request_info(conn);
    const absl::string_view uri = info->local_uri != nullptr ? info->local_uri : "";
    constexpr absl::string_view kPrefix = "/open311/v2/";
    std::map<std::string, std::string> params =
        ParseForm(info->query_string != nullptr ? info->query_string : "");
    if (std::string(verb) == "POST") {
      std::optional<std::string> body = ReadBody(conn, gateway_.limits().max_message_bytes);
      if (!body) {
        Reply(conn, 400, R"([{"code":400,"description":"the body is too large"}])");
        return true;
      }
      for (auto& [k, v] : ParseForm(*body)) params[k] = std::move(v);
    }
    const Open311::Reply r =
        open311_.Handle(verb, uri.size() > kPrefix.size() ? uri.substr(kPrefix.size()) : "", params,
                        IncomingOf(conn));
    std::string link;
    if (!r.next_page_token.empty()) {
      link = absl::StrCat("Link: <", uri, "?page_token=", r.next_page_token, ">; rel=\"next\"\r\n");
    }
    Reply(conn, r.status, r.body, r.retry_after, r.content_type, link);
    return true;
  }

  Gateway& gateway_;
  Open311 open311_;
};

absl::StatusOr<std::unique_ptr<HttpFace>> HttpFace::Start(const std::string& address,
                                                          Gateway& gateway, int threads,
                                                          Open311Options open311) {
  auto face = std::make_unique<HttpFace>();
  face->handler_ = std::make_unique<Handler>(gateway);
  face->open311_ = std::make_unique<Open311Handler>(gateway, std::move(open311));
  try {
    face->server_ = std::make_unique<CivetServer>(
        std::vector<std::string>{"listening_ports", address, "num_threads", std::to_string(threads),
                                 "enable_keep_alive", "no"});
  } catch (const CivetException&) {
    return absl::UnavailableError(absl::StrCat("cannot listen for HTTP on ", address));
  }
  face->server_->addHandler("/v1/", face->handler_.get());
  face->server_->addHandler("/open311/v2/", face->open311_.get());
  auto ports = face->server_->getListeningPorts();
  face->port_ = ports.empty() ? 0 : ports.front();
  return face;
}

HttpFace::~HttpFace() {
  if (server_) server_->close();
}

}  // namespace jiban::gateway
