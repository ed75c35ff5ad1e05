# Sourced by .ci/run before the tests: makes Debian's chromium available to the browser tests (HTML report and dashboard) of
# tests/TokenAccounting.Reporting.Tests (Playwright drives it through ExecutablePath; Playwright's own browser
# download is not used) and makes a missing browser a test failure.
# Installs the chromium package with apt-get, as root, when /usr/bin/chromium is missing.
# No `set -e`/`exit` here: this file runs inside the caller's shell.

if [ ! -x /usr/bin/chromium ] && [ -z "${TOKENACCOUNTING_CHROMIUM:-}" ]; then
    if [ "$(id -u)" = "0" ]; then
        echo ".ci/chromium.sh: /usr/bin/chromium not found; installing chromium with apt-get" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -q \
            && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium \
            || echo ".ci/chromium.sh: installing chromium failed; the browser tests will fail" >&2
    else
        echo ".ci/chromium.sh: /usr/bin/chromium not found and not root, cannot install chromium; the browser tests will fail" >&2
    fi
fi

# The browser tests skip when Chromium cannot be started; on CI that must be a failure instead.
export TOKENACCOUNTING_REQUIRE_CHROMIUM=1
