/* sqlite_main.c -- the driver of bench/big_module.sh's ~1 MiB module: SQLite
 * (its amalgamation) built for wasm32-wasi with a main that makes a table in
 * memory, fills it through a recursive query and prints three aggregates,
 * so `wasmcap exec` can check that the module runs, not only compiles:
 * 1000, 500500 and r999 on three lines. */
#include <stdio.h>

#include "sqlite3.h"

static int print_row(void *unused, int n, char **values, char **names)
{
    (void)unused;
    (void)names;
    for (int i = 0; i < n; i++)
        printf("%s\n", values[i] ? values[i] : "NULL");
    return 0;
}

int main(void)
{
    sqlite3 *db;
    char *err = NULL;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK)
        return 1;
    const char *sql = "create table t(a integer, b text);"
                      "with recursive c(x) as (select 1 union all select x + 1 from c where x < 1000)"
                      " insert into t select x, printf('r%d', x) from c;"
                      "select count(*), sum(a), max(b) from t;";
    int rc = sqlite3_exec(db, sql, print_row, NULL, &err);
    if (rc != SQLITE_OK)
        printf("error: %s\n", err ? err : sqlite3_errstr(rc));
    sqlite3_free(err);
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : 1;
}
