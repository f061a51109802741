#include "libs/server/logging.h"

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace jiban::server {

void Logger::Info(absl::string_view msg, nlohmann::json fields) {
  Write("info", msg, std::move(fields));
}
void Logger::Warn(absl::string_view msg, nlohmann::json fields) {
  Write("warn", msg, std::move(fields));
}
void Logger::Error(absl::string_view msg, nlohmann::json fields) {
  Write("error", msg, std::move(fields));
}

void Logger::Write(absl::string_view level, absl::string_view msg, nlohmann::json fields) {
  nlohmann::json line = nlohmann::json::object();
  line["ts"] = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  line["level"] = std::string(level);
  line["service"] = service_;
  line["msg"] = std::string(msg);
  for (auto& [k, v] : fields.items()) line[k] = std::move(v);
  // Invalid UTF-8 is replaced rather than thrown on.
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  absl::MutexLock lock(&mu_);
  *out_ << text << '\n';
  out_->flush();
}

std::function<void(int64_t, int64_t)> ConsumerProgressLog(Logger& log, std::string consumer) {
  return [&log, consumer = std::move(consumer)](int64_t applied, int64_t head) {
    nlohmann::json fields = {{"consumer", consumer}, {"applied", applied}, {"head", head}};
    if (applied >= head) {
      log.Info("consumer caught up", std::move(fields));
      return;
    }
    fields["percent_done"] = head > 0 ? applied * 100 / head : 0;
    log.Info("consumer catching up", std::move(fields));
  };
}

}  // namespace jiban::server
