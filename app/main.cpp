// The mailactor binary: the command line with the built-in backends only.
#include <mailactor/main.hpp>

int main(int argc, char** argv) {
  return mailactor::main(argc, argv);
}
