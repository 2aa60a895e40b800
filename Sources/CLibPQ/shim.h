#ifndef CLIBPQ_SHIM_H
#define CLIBPQ_SHIM_H
/* libpq, PostgreSQL's C client (libpq-dev). Debian puts its headers in /usr/include/postgresql,
   which is not on the default include path; other systems put them in /usr/include. No pkg-config
   needed either way: libpq-fe.h includes its neighbours with quotes. */
#if __has_include(<libpq-fe.h>)
#include <libpq-fe.h>
#else
#include <postgresql/libpq-fe.h>
#endif
#endif
