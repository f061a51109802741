#include "libs/db/sequence.h"

#include "absl/strings/str_cat.h"
#include "libs/status/macros.h"

namespace jiban::generated {
db::MigrationSet db_migrations(db::Dialect dialect);
}  // namespace jiban::generated

namespace jiban::db {

MigrationSet PlatformMigrations(Dialect dialect) { return generated::db_migrations(dialect); }

absl::StatusOr<int64_t> BlockSequence::Next() {
  absl::MutexLock lock(&mu_);
  if (next_ < end_) return next_++;
  // Reserve [start, start + block) under the row lock; the first user of a name creates its row.
  int64_t start = 0;
  JIBAN_RETURN_IF_ERROR(db_.Transact([&](Transaction& tx) -> absl::Status {
    JIBAN_ASSIGN_OR_RETURN(
        auto row, tx.QueryOne(absl::StrCat("SELECT next_value FROM jiban_sequences WHERE name = ?",
                                           tx.ForUpdate()),
                              {name_}));
    if (row.has_value()) {
      start = row->Int(0);
      return tx.Execute("UPDATE jiban_sequences SET next_value = ? WHERE name = ?",
                        {start + block_size_, name_})
          .status();
    }
    start = 1;
    // Two first users racing: one insert fails with a duplicate key, which Transact does not
    // retry — map it to ABORTED so the loser re-reads the row.
    auto inserted = tx.Execute("INSERT INTO jiban_sequences (name, next_value) VALUES (?, ?)",
                               {name_, start + block_size_});
    if (inserted.status().code() == absl::StatusCode::kAlreadyExists) {
      return absl::AbortedError("sequence created concurrently; retry");
    }
    return inserted.status();
  }));
  next_ = start + 1;
  end_ = start + block_size_;
  return start;
}

}  // namespace jiban::db
