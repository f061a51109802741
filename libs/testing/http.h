// A minimal HTTP/1.1 client over loopback for tests (scraping /metrics, the gateway's HTTP face).
#ifndef JIBAN_LIBS_TESTING_HTTP_H_
#define JIBAN_LIBS_TESTING_HTTP_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace jiban::testing {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
};

absl::StatusOr<HttpResponse> HttpGet(int port, const std::string& path);
// Any method, with extra headers ("Name: value" each) and a body (sent with its Content-Length).
absl::StatusOr<HttpResponse> HttpCall(int port, const std::string& method, const std::string& path,
                                      const std::vector<std::string>& headers = {},
                                      const std::string& body = "");

}  // namespace jiban::testing

#endif  // JIBAN_LIBS_TESTING_HTTP_H_
