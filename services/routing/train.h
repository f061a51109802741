// `jiban-routing train`: builds a classifier model file from a labelled file and reports its
// quality on a development file.
#ifndef JIBAN_SERVICES_ROUTING_TRAIN_H_
#define JIBAN_SERVICES_ROUTING_TRAIN_H_

#include <ostream>
#include <string>
#include <vector>

namespace jiban::routing {

// args: the words after "train". Writes progress and the report to `out`; returns the exit code.
int RunTrainCommand(const std::vector<std::string>& args, std::ostream& out);

}  // namespace jiban::routing

#endif  // JIBAN_SERVICES_ROUTING_TRAIN_H_
