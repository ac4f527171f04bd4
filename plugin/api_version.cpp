#include "plugin/api_version.hpp"

#include <mailactor/version.hpp>

#include <stdexcept>

namespace mailactor {

int api_version() {
  return MAILACTOR_API_VERSION;
}

void check_api_version(int version, const std::string& plugin) {
  if (version == MAILACTOR_API_VERSION) return;
  throw std::runtime_error(
      plugin + " was built against mailactor API version " + std::to_string(version) +
      ", but this mailactor " MAILACTOR_VERSION " has API version " +
      std::to_string(MAILACTOR_API_VERSION) + ": rebuild it against this mailactor's headers");
}

}  // namespace mailactor
