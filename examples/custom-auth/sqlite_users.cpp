// mailactor with the users of your own application: an auth backend and a user source, both
// named "sqlite-users", over the users and their password hashes in a SQLite table,
//
//   CREATE TABLE users (name TEXT PRIMARY KEY, password_hash TEXT NOT NULL,
//                       active INTEGER NOT NULL DEFAULT 1);
//
// with hashes from `mailactor-custom-auth passwd` (it is the whole mailactor command line), and
//
//   [auth]
//   backend = "sqlite-users"
//   [auth.sqlite-users]
//   database = "/var/lib/myapp/users.db"
//   workers = 2                          # checks at once (each a thread and a connection)
//
// and, so that RCPT TO accepts exactly the active users' mailboxes (user "dana" owns dana@ at
// every local domain):
//
//   [routing]
//   local = "mailboxes"
//   sources = ["sqlite-users"]
//   [routing.sqlite-users]
//   database = "/var/lib/myapp/users.db"
#include <sqlite3.h>
#include <caf/typed_event_based_actor.hpp>
#include <mailactor/auth.hpp>
#include <mailactor/main.hpp>
#include <mailactor/user_source.hpp>

#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace mailactor::auth;

// One read-only connection to the user table; used by one thread.
class UserTable {
 public:
  explicit UserTable(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK ||
        sqlite3_prepare_v2(db_, "SELECT password_hash FROM users WHERE name = ? AND active", -1,
                           &lookup_, nullptr) != SQLITE_OK) {
      std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw std::runtime_error("sqlite-users: " + path + ": " + why);
    }
    sqlite3_busy_timeout(db_, 1000);  // the application may be writing
  }
  UserTable(const UserTable&) = delete;
  UserTable& operator=(const UserTable&) = delete;
  ~UserTable() {
    sqlite3_finalize(lookup_);
    sqlite3_close(db_);
  }

  // The user's hash; nullopt for no such (active) user. Throws when the database fails. One
  // caller at a time.
  std::optional<std::string> hash_of(const std::string& user) {
    sqlite3_reset(lookup_);
    sqlite3_bind_text(lookup_, 1, user.data(), static_cast<int>(user.size()), SQLITE_TRANSIENT);
    int rc = sqlite3_step(lookup_);
    if (rc == SQLITE_DONE) return std::nullopt;
    if (rc != SQLITE_ROW) throw std::runtime_error(sqlite3_errmsg(db_));
    auto text = reinterpret_cast<const char*>(sqlite3_column_text(lookup_, 0));
    return std::string(text ? text : "");
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* lookup_ = nullptr;
};

// The actor: one request, one answer. A database in trouble is a temporary failure (the client
// gets 454 and tries again), never "wrong password".
auth_actor::behavior_type sqlite_users(auth_actor::pointer, std::shared_ptr<UserTable> table) {
  return {
      [=](authenticate_atom, const auth_request& r) {
        if (!r.authzid.empty() && r.authzid != r.user)
          return auth_result::invalid("acting as another user is not allowed");
        try {
          auto hash = table->hash_of(r.user);
          if (hash && verify_password(r.secret, *hash)) return auth_result::ok(r.user);
          return auth_result::invalid("unknown user or wrong password");
        } catch (const std::exception& e) {
          return auth_result::temporary_failure(std::string("user database: ") + e.what());
        }
      },
  };
}

// The factory, run at start and on every SIGHUP: reads [auth.sqlite-users] and spawns the
// workers. Checking a password is slow on purpose and SQLite blocks, so each worker is a
// detached actor (its own thread), never a thread of the shared scheduler.
auth_actor make_sqlite_users(BackendContext& ctx, BackendOptions& options) {
  std::string path = options.take_required("database");
  long workers = options.take_int("workers", 2, 1, 64);
  std::vector<auth_actor> pool;
  for (long i = 0; i < workers; ++i)
    pool.push_back(
        ctx.system->spawn<caf::detached>(sqlite_users, std::make_shared<UserTable>(path)));
  return spawn_worker_pool(*ctx.system, std::move(pool));
}

// The user source: RCPT TO asks it for each address at a local domain. The router may ask from
// several resolver threads at once; they share one connection in turn.
class SqliteMailboxes : public mailactor::routing::UserSource {
 public:
  explicit SqliteMailboxes(const std::string& path) : table_(path) {}

  mailactor::routing::UserAnswer find(const std::string& local, const std::string&) const override {
    std::lock_guard<std::mutex> lock(mutex_);
    try {
      return table_.hash_of(local) ? mailactor::routing::UserAnswer::found
                                   : mailactor::routing::UserAnswer::not_found;
    } catch (const std::exception&) {
      return mailactor::routing::UserAnswer::failed;  // 451 4.3.0: the sender tries again
    }
  }
  std::string name() const override { return "sqlite-users"; }
  bool may_block() const override { return true; }  // SQLite waits for a writer's lock

 private:
  mutable std::mutex mutex_;
  mutable UserTable table_;
};

std::shared_ptr<const mailactor::routing::UserSource> make_sqlite_mailboxes(
    mailactor::Options& options) {
  return std::make_shared<const SqliteMailboxes>(options.take_required("database"));
}

}  // namespace

int main(int argc, char** argv) {
  try {
    register_backend("sqlite-users", make_sqlite_users);
    mailactor::routing::register_user_source("sqlite-users", make_sqlite_mailboxes);
  } catch (const std::exception& e) {  // e.g. built against another mailactor API version
    std::cerr << "mailactor-custom-auth: " << e.what() << "\n";
    return 2;
  }
  return mailactor::main(argc, argv);
}
