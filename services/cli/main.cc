// jibanctl: the command-line client (services/cli/cli.h).
#include <iostream>
#include <string>
#include <vector>

#include "services/cli/cli.h"

int main(int argc, char** argv) {
  return jiban::cli::Run(std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr);
}
