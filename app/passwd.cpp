#include "app/passwd.hpp"

#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <string>

#include "actors/auth/password_hash.hpp"

namespace mailactor::app {
namespace {

std::string prompt_hidden(const char* prompt) {
  std::cerr << prompt << std::flush;
  termios old{};
  tcgetattr(STDIN_FILENO, &old);
  termios quiet = old;
  quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
  tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  std::string line;
  std::getline(std::cin, line);
  tcsetattr(STDIN_FILENO, TCSANOW, &old);
  std::cerr << "\n";
  return line;
}

}  // namespace

int print_password_hash(const std::string& scheme) {
  std::string prefix;
  if (scheme == "yescrypt") {
    prefix = "$y$";
  } else if (scheme == "sha512-crypt") {
    prefix = "$6$";
  } else if (scheme == "bcrypt") {
    prefix = "$2b$";
  } else {
    std::cerr << "mailactor passwd: --scheme is yescrypt, sha512-crypt or bcrypt\n";
    return 2;
  }
  std::string password;
  if (isatty(STDIN_FILENO)) {
    password = prompt_hidden("Password: ");
    if (prompt_hidden("Again: ") != password) {
      std::cerr << "mailactor passwd: the passwords differ\n";
      return 1;
    }
  } else if (!std::getline(std::cin, password)) {
    std::cerr << "mailactor passwd: no password on standard input\n";
    return 1;
  }
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty()) {
    std::cerr << "mailactor passwd: empty password\n";
    return 1;
  }
  try {
    std::cout << auth::hash_password(password, prefix) << "\n";
  } catch (const std::exception& e) {
    std::cerr << "mailactor passwd: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace mailactor::app
