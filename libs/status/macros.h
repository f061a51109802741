// Early-return helpers for absl::Status / absl::StatusOr (Debian's Abseil 20220623 has none).
#ifndef JIBAN_LIBS_STATUS_MACROS_H_
#define JIBAN_LIBS_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jiban::status_internal {
inline const absl::Status& AsStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& AsStatus(const absl::StatusOr<T>& s) {
  return s.status();
}
}  // namespace jiban::status_internal

#define JIBAN_STATUS_CONCAT_INNER(a, b) a##b
#define JIBAN_STATUS_CONCAT(a, b) JIBAN_STATUS_CONCAT_INNER(a, b)

// Returns the status from the enclosing function if `expr` (a Status or StatusOr) is not OK.
#define JIBAN_RETURN_IF_ERROR(expr)                                          \
  do {                                                                       \
    if (auto&& jiban_status_ = (expr); !jiban_status_.ok()) {                \
      return ::jiban::status_internal::AsStatus(jiban_status_);              \
    }                                                                        \
  } while (false)

// `JIBAN_ASSIGN_OR_RETURN(auto x, F());` declares or assigns `x` from a StatusOr, or returns its
// error from the enclosing function.
#define JIBAN_ASSIGN_OR_RETURN(lhs, expr) \
  JIBAN_ASSIGN_OR_RETURN_IMPL(JIBAN_STATUS_CONCAT(jiban_statusor_, __LINE__), lhs, expr)
#define JIBAN_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return std::move(tmp).status();    \
  lhs = std::move(tmp).value()

#endif  // JIBAN_LIBS_STATUS_MACROS_H_
