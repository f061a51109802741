// Unit tests of the server platform's pure parts: configuration, trace context, log lines.
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "libs/server/call.h"
#include "libs/server/env.h"
#include "libs/server/interceptor.h"
#include "libs/server/logging.h"
#include "nlohmann/json.hpp"

namespace jiban::server {
namespace {

TEST_CASE("configuration errors name every bad variable") {
  std::map<std::string, std::string> vars = {
      {"JIBAN_PORTISH", "70000"}, {"JIBAN_ADDR", "nocolon"}, {"JIBAN_FLAG", "maybe"},
      {"JIBAN_OK", "7"}, {"JIBAN_DRAIN_SECONDS", "-1"}, {"JIBAN_MODE", "weird"}};
  Env env([&](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
  CHECK(env.Int("JIBAN_OK", 1, 0, 10) == 7);
  CHECK(env.Int("JIBAN_PORTISH", 1, 0, 65535) == 1);
  env.Address("JIBAN_ADDR", "0.0.0.0:1");
  env.Bool("JIBAN_FLAG", false);
  env.Required("JIBAN_DB_DSN");
  env.Seconds("JIBAN_DRAIN_SECONDS", 5, 0, 60);
  CHECK(env.OneOf("JIBAN_MODE", "apply", {"apply", "check"}) == "apply");
  CHECK(env.String("JIBAN_ABSENT", "dflt") == "dflt");
  auto s = env.Validate();
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  for (const char* name : {"JIBAN_PORTISH", "JIBAN_ADDR", "JIBAN_FLAG", "JIBAN_DB_DSN",
                           "JIBAN_DRAIN_SECONDS", "JIBAN_MODE"}) {
    CHECK(std::string(s.message()).find(name) != std::string::npos);
  }
  CHECK(std::string(s.message()).find("JIBAN_OK") == std::string::npos);
  Env clean([](const char*) -> const char* { return nullptr; });
  CHECK(clean.Address("X", "0.0.0.0:0") == "0.0.0.0:0");
  CHECK(clean.Validate().ok());
}

TEST_CASE("traceparent: valid headers parse, everything else is refused") {
  auto tp = ParseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  REQUIRE(tp.has_value());
  CHECK(tp->trace_id == "0af7651916cd43dd8448eb211c80319c");
  CHECK(tp->span_id == "b7ad6b7169203331");
  CHECK(tp->Header() == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  for (const char* bad : {
           "",
           "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",  // uppercase
           "00-00000000000000000000000000000000-b7ad6b7169203331-01",  // zero trace id
           "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",  // zero span id
           "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",  // version ff
           "00-0af7651916cd43dd8448eb211c80319-b7ad6b7169203331-01",   // short
           "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x",
           "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0g"}) {
    CHECK_FALSE(ParseTraceparent(bad).has_value());
  }
  CHECK(ParseTraceparent("00-" + NewTraceId() + "-" + NewSpanId() + "-01").has_value());
  CHECK(NewTraceId() != NewTraceId());
}

TEST_CASE("log lines are single-line JSON with escaped control characters") {
  std::ostringstream out;
  Logger logger("intake", &out);
  logger.Info("rpc\r\n{\"forged\":true}", {{"request_id", "r-1\nx"}, {"n", 3}});
  const std::string text = out.str();
  CHECK(std::count(text.begin(), text.end(), '\n') == 1);
  auto j = nlohmann::json::parse(text);
  CHECK(j["service"] == "intake");
  CHECK(j["level"] == "info");
  CHECK(j["msg"] == "rpc\r\n{\"forged\":true}");
  CHECK(j["request_id"] == "r-1\nx");
  CHECK(j["ts"].get<std::string>().size() == 24);  // 2026-11-26T10:00:00.000Z
}

TEST_CASE("a consumer's progress is logged as catching up, then caught up") {
  std::ostringstream out;
  Logger logger("assessment", &out);
  const auto progress = ConsumerProgressLog(logger, "assessment<-routing");
  progress(250, 1000);
  progress(1000, 1000);
  std::istringstream lines(out.str());
  std::string line;
  REQUIRE(std::getline(lines, line));
  auto behind = nlohmann::json::parse(line);
  CHECK(behind["msg"] == "consumer catching up");
  CHECK(behind["consumer"] == "assessment<-routing");
  CHECK(behind["applied"] == 250);
  CHECK(behind["head"] == 1000);
  CHECK(behind["percent_done"] == 25);
  REQUIRE(std::getline(lines, line));
  auto level = nlohmann::json::parse(line);
  CHECK(level["msg"] == "consumer caught up");
  CHECK(level["applied"] == 1000);
  CHECK_FALSE(level.contains("percent_done"));
}

TEST_CASE("grpc_code values use grpc-go's names") {
  CHECK(std::string(GrpcCodeName(0)) == "OK");
  CHECK(std::string(GrpcCodeName(1)) == "Canceled");
  CHECK(std::string(GrpcCodeName(3)) == "InvalidArgument");
  CHECK(std::string(GrpcCodeName(14)) == "Unavailable");
  CHECK(std::string(GrpcCodeName(16)) == "Unauthenticated");
  CHECK(std::string(GrpcCodeName(99)) == "Unknown");
}

}  // namespace
}  // namespace jiban::server

namespace jiban::server {
namespace {

TEST_CASE("secrets come from a file named by <NAME>_FILE, or from the variable") {
  const std::string path = "/tmp/jiban-secret-test-" + NewRequestId();
  { std::ofstream(path) << "  s3cr3t\n"; }
  std::map<std::string, std::string> vars = {{"A_FILE", path}, {"B", "inline"},
                                             {"C_FILE", "/nonexistent/secret"}};
  Env env([&](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
  CHECK(env.Secret("A") == "s3cr3t");
  CHECK(env.Secret("B") == "inline");
  CHECK(env.Secret("C").empty());
  CHECK(env.Secret("D").empty());
  const std::string message(env.Validate().message());
  CHECK(message.find("C_FILE") != std::string::npos);
  CHECK(message.find("D is required") != std::string::npos);
  CHECK(message.find("s3cr3t") == std::string::npos);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace jiban::server
