# Sourced by .ci/run before the tests: makes PostgreSQL binaries available to tests/TokenAccounting.PostgreSql.Tests
# (which start their own throwaway cluster with initdb/pg_ctl) and makes a missing server a test failure.
# Installs Debian's postgresql package with apt-get, as root, when initdb is missing.
# No `set -e`/`exit` here: this file runs inside the caller's shell.

ta_pg_have_initdb() {
    command -v initdb >/dev/null 2>&1 && return 0
    for ta_pg_bin in /usr/lib/postgresql/*/bin/initdb; do
        [ -x "$ta_pg_bin" ] && return 0
    done
    return 1
}

if ! ta_pg_have_initdb; then
    if [ "$(id -u)" = "0" ]; then
        echo ".ci/postgres.sh: initdb not found; installing postgresql with apt-get" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -q \
            && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql \
            || echo ".ci/postgres.sh: installing postgresql failed; the PostgreSQL tests will fail" >&2
    else
        echo ".ci/postgres.sh: initdb not found and not root, cannot install postgresql; the PostgreSQL tests will fail" >&2
    fi
fi

unset -f ta_pg_have_initdb
unset ta_pg_bin

# The PostgreSQL tests skip when no server can be started; on CI that must be a failure instead.
export TOKENACCOUNTING_REQUIRE_POSTGRES=1
