#include <string>
#include <vector>

#include "harness/sweep/cli.h"

int main(int argc, char** argv) {
  return lockbench::cli_main(std::vector<std::string>(argv + 1, argv + argc));
}
