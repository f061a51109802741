#include "libs/testing/http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace jiban::testing {

absl::StatusOr<HttpResponse> HttpGet(int port, const std::string& path) {
  return HttpCall(port, "GET", path);
}

absl::StatusOr<HttpResponse> HttpCall(int port, const std::string& method, const std::string& path,
                                      const std::vector<std::string>& headers,
                                      const std::string& body) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return absl::UnavailableError(absl::StrCat("cannot connect to port ", port));
  }
  std::string request =
      absl::StrCat(method, " ", path, " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
  for (const std::string& h : headers) absl::StrAppend(&request, h, "\r\n");
  if (!body.empty() || method == "POST") {
    absl::StrAppend(&request, "Content-Length: ", body.size(), "\r\n");
  }
  absl::StrAppend(&request, "\r\n", body);
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string raw;
  char buf[8192];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) raw.append(buf, static_cast<size_t>(n));
  ::close(fd);
  const size_t split = raw.find("\r\n\r\n");
  if (split == std::string::npos) return absl::DataLossError("malformed HTTP response");
  HttpResponse resp;
  std::vector<std::string> lines = absl::StrSplit(raw.substr(0, split), "\r\n");
  std::vector<std::string> status_line = absl::StrSplit(lines[0], ' ');
  if (status_line.size() < 2 || !absl::SimpleAtoi(status_line[1], &resp.status)) {
    return absl::DataLossError("malformed HTTP status line");
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    resp.headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
        std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
  }
  resp.body = raw.substr(split + 4);
  if (absl::AsciiStrToLower(resp.headers["transfer-encoding"]) == "chunked") {
    std::string decoded;
    size_t pos = 0;
    while (pos < resp.body.size()) {
      const size_t eol = resp.body.find("\r\n", pos);
      if (eol == std::string::npos) break;
      size_t len = 0;
      if (!absl::SimpleHexAtoi(resp.body.substr(pos, eol - pos), &len) || len == 0) break;
      decoded += resp.body.substr(eol + 2, len);
      pos = eol + 2 + len + 2;
    }
    resp.body = decoded;
  }
  return resp;
}

}  // namespace jiban::testing
