// JSON-line logs: one object per line, `ts` (RFC 3339 UTC, ms), `level`, `service`, `msg`, and
// the fields given. Values are JSON-escaped, so a CR/LF in a field cannot forge a log line.
// Callers must never pass personal data: log ids, codes and counts, not names, phones or text.
#ifndef JIBAN_LIBS_SERVER_LOGGING_H_
#define JIBAN_LIBS_SERVER_LOGGING_H_

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "nlohmann/json.hpp"

namespace jiban::server {

class Logger {
 public:
  Logger(std::string service, std::ostream* out) : service_(std::move(service)), out_(out) {}
  void Info(absl::string_view msg, nlohmann::json fields = nlohmann::json::object());
  void Warn(absl::string_view msg, nlohmann::json fields = nlohmann::json::object());
  void Error(absl::string_view msg, nlohmann::json fields = nlohmann::json::object());

 private:
  void Write(absl::string_view level, absl::string_view msg, nlohmann::json fields);
  const std::string service_;
  absl::Mutex mu_;
  std::ostream* out_ ABSL_GUARDED_BY(mu_);
};

// An event consumer's progress (events::ConsumerOptions::on_progress) as log lines: "consumer
// catching up" with what is applied, the source's head and the share done while it is behind,
// "consumer caught up" once it is level.
std::function<void(int64_t applied_through, int64_t head)> ConsumerProgressLog(
    Logger& log, std::string consumer);

}  // namespace jiban::server

#endif  // JIBAN_LIBS_SERVER_LOGGING_H_
