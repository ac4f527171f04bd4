// Which mailactor a plug-in is built against. MAILACTOR_API_VERSION changes whenever a public
// header (this directory) changes in a way that breaks code or layout built against the old one;
// registration refuses a backend compiled with another value (see mailactor/auth.hpp).
#pragma once

#define MAILACTOR_API_VERSION 1
#define MAILACTOR_VERSION "0.1.0"

namespace mailactor {

// The API version this libmailactor was built with (compare with MAILACTOR_API_VERSION, the one
// your code was compiled with).
int api_version();

}  // namespace mailactor
