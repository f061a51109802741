// Configuration from environment variables, validated at start-up. Every accessor records what
// is wrong instead of failing at once, so one run names every bad or missing variable:
//
//   Env env;
//   auto addr = env.String("JIBAN_GRPC_ADDR", "0.0.0.0:8080");
//   auto dsn = env.Required("JIBAN_DB_DSN");
//   if (auto s = env.Validate(); !s.ok()) { std::cerr << s.message(); return 2; }
#ifndef JIBAN_LIBS_SERVER_ENV_H_
#define JIBAN_LIBS_SERVER_ENV_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace jiban::server {

class Env {
 public:
  using Lookup = std::function<const char*(const char*)>;
  explicit Env(Lookup lookup = nullptr);  // nullptr: the process environment

  std::string String(const char* name, absl::string_view fallback);
  std::string Required(const char* name);
  // A required secret: the contents of the file named by <name>_FILE (a mounted Kubernetes
  // Secret), or else <name> itself. Never echoed in errors.
  std::string Secret(const std::string& name);
  int Int(const char* name, int fallback, int min, int max);
  double Number(const char* name, double fallback, double min, double max);
  absl::Duration Seconds(const char* name, double fallback, double min, double max);
  bool Bool(const char* name, bool fallback);
  // host:port (host may be empty, an IPv4 address, a name, or [IPv6]); port 0..65535.
  std::string Address(const char* name, absl::string_view fallback);
  // One of `allowed`.
  std::string OneOf(const char* name, absl::string_view fallback,
                    const std::vector<std::string>& allowed);

  // INVALID_ARGUMENT naming every bad variable, or OK.
  absl::Status Validate() const;

 private:
  const char* Get(const char* name) const;
  Lookup lookup_;
  double Parse(const char* name, double fallback, double min, double max, absl::string_view what);
  std::vector<std::string> errors_;
};

// The database settings every service reads, into a config with fields db_dsn, db_pool_size (its
// value is the default) and migrate (a db::MigrateMode): JIBAN_DB_DSN (required),
// JIBAN_DB_POOL_SIZE (1..512), JIBAN_DB_MIGRATE (apply | check).
template <typename Config>
void ReadDatabaseEnv(Env& env, Config& c) {
  using Mode = decltype(c.migrate);
  c.db_dsn = env.Secret("JIBAN_DB_DSN");
  c.db_pool_size = env.Int("JIBAN_DB_POOL_SIZE", c.db_pool_size, 1, 512);
  c.migrate = env.OneOf("JIBAN_DB_MIGRATE", "apply", {"apply", "check"}) == "check"
                  ? Mode::kCheckOnly
                  : Mode::kApply;
}

}  // namespace jiban::server

#endif  // JIBAN_LIBS_SERVER_ENV_H_
