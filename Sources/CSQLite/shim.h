// SQLite from the system (Debian 12: libsqlite3-dev, installed by scripts/install-deps), for the
// call records (Sources/Bridge/Records).
#include <sqlite3.h>
