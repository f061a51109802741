// Keyset pagination over time-ordered ids, the same way in every service: a page size (0 for the
// default) and an opaque token carrying the last id of the previous page, checked together with
// the call's other fields; a page fetched one item long tells whether there is a next one.
#ifndef JIBAN_LIBS_CLOCK_PAGE_H_
#define JIBAN_LIBS_CLOCK_PAGE_H_

#include <string>
#include <vector>

#include "libs/clock/clock.h"
#include "libs/status/status.h"

namespace jiban {

struct PageRequest {
  int size = 0;                           // items to return
  std::string after_id;                   // the previous page's last id (empty: the first page)
  int fetch() const { return size + 1; }  // items to ask the store for
};

// Checks `page_size` (0..max_size; 0 means default_size) and `token`, adding a violation for
// each bad field ("page_size", "page_token") to `v`.
PageRequest CheckPage(int page_size, const std::string& token, int default_size, int max_size,
                      Violations& v);

// Cuts `items` (fetched with request.fetch()) to the page and returns the next page's token
// (empty on the last page); `id` gives an item's id.
template <typename T, typename Id>
std::string CutPage(std::vector<T>& items, const PageRequest& request, Id id) {
  if (static_cast<int>(items.size()) <= request.size) return "";
  items.resize(static_cast<size_t>(request.size));
  return EncodePageToken(id(items.back()));
}

}  // namespace jiban

#endif  // JIBAN_LIBS_CLOCK_PAGE_H_
