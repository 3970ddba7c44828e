// The `nokv` binary.
#include <unistd.h>

#include <iostream>

#include "cli/cli.h"

int main(int argc, char** argv) {
  return nokv::cli::Main(argc, argv, std::cout, std::cerr, STDOUT_FILENO);
}
