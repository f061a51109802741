// Unique, increasing numbers without a hot row per insert: each process reserves a block of
// numbers from a named counter (one short transaction per block) and hands them out locally.
// Numbers are unique across processes and restarts; they are not dense (a restart skips the rest
// of its block) and, across processes, only roughly ordered.
#ifndef JIBAN_LIBS_DB_SEQUENCE_H_
#define JIBAN_LIBS_DB_SEQUENCE_H_

#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "libs/db/db.h"
#include "libs/db/migrate.h"

namespace jiban::db {

// The platform's own tables (jiban_sequences); every service applies them.
MigrationSet PlatformMigrations(Dialect dialect);

class BlockSequence {
 public:
  BlockSequence(Database& db, std::string name, int block_size = 1000)
      : db_(db), name_(std::move(name)), block_size_(block_size) {}

  // The next number (starting at 1).
  absl::StatusOr<int64_t> Next();

 private:
  Database& db_;
  const std::string name_;
  const int block_size_;
  absl::Mutex mu_;
  int64_t next_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t end_ ABSL_GUARDED_BY(mu_) = 0;  // exclusive
};

}  // namespace jiban::db

#endif  // JIBAN_LIBS_DB_SEQUENCE_H_
