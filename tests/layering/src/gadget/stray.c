/* A folder the table does not name. */
int stray;
