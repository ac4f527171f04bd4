// The whole mailactor command line (serve, check-config, queue, passwd, ...) as a function, for a
// `main` of your own that registers its backends first:
//
//   int main(int argc, char** argv) {
//     mailactor::auth::register_backend("my-db", make_my_backend);
//     return mailactor::main(argc, argv);
//   }
//
// The built-in backends are registered by mailactor::main itself; a name you registered before
// keeps your factory.
#pragma once

namespace mailactor {

// Runs the command line; returns the process exit status.
int main(int argc, char** argv);

}  // namespace mailactor
