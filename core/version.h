/* Versions of stepwise and of the libraries that core/ links, for
 * --version and bug reports. */
#ifndef STEPWISE_VERSION_H
#define STEPWISE_VERSION_H

/* "libpq 15.18, SQLite 3.40.1, libpg_query (PostgreSQL 15.1 parser)" */
char *version_libraries(void);

#endif
