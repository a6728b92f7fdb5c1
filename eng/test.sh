#!/usr/bin/env bash
# Runs every test project of the solution and prints one line: "N passed, N failed, N skipped".
# Installs what the tests need first (PostgreSQL 15 server binaries, Chromium + chromedriver, Azurite, aiosmtpd; the test fixtures
# start the servers and the browser themselves). Exits non-zero if any test failed or none ran.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
results="$root/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# apt-get install (as root) that runs apt-get update at most once per script run, however many blocks below need it.
apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq || return 1
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# PostgreSQL 15 server binaries for tests/Commerce.Jobs.IntegrationTests (its fixture starts a throwaway cluster on
# 127.0.0.1). Idempotent: installs only when initdb is missing (CI runs as root on a possibly bare machine).
if [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
  echo "installing PostgreSQL 15 (initdb not found)"
  if [ "$(id -u)" -eq 0 ]; then
    apt_install postgresql \
      || echo "warning: apt-get install -y postgresql failed; the PostgreSQL integration tests will fail and say so"
  else
    echo "warning: not root: run 'apt-get install -y postgresql' as root; the PostgreSQL integration tests will fail and say so"
  fi
fi

# Chromium and its WebDriver for the browser tests of tests/Commerce.Jobs.Dashboard.Tests (headless; Selenium is given
# these system binaries and never downloads a browser or driver). Idempotent: installs only when either is missing.
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  echo "installing Chromium and chromedriver (/usr/bin/chromium or /usr/bin/chromedriver not found)"
  if [ "$(id -u)" -eq 0 ]; then
    apt_install chromium chromium-driver \
      || echo "warning: apt-get install -y chromium chromium-driver failed; the browser tests will fail and say so"
  else
    echo "warning: not root: run 'apt-get install -y chromium chromium-driver' as root; the browser tests will fail and say so"
  fi
fi

# Azurite (Azure Storage emulator) for tests/Commerce.Jobs.IntegrationTests.Adapters (its fixture starts the blob service on
# 127.0.0.1). Idempotent: installs into artifacts/tools only when missing. 3.35.0 is the last release that runs on Node 20.
azurite_version=3.35.0
azurite_prefix="$root/artifacts/tools"
azurite_entry="$azurite_prefix/node_modules/azurite/dist/src/blob/main.js"
if [ ! -f "$azurite_entry" ] || ! grep -q "\"version\": \"$azurite_version\"" "$azurite_prefix/node_modules/azurite/package.json" 2>/dev/null; then
  echo "installing Azurite $azurite_version into $azurite_prefix"
  if command -v npm >/dev/null 2>&1; then
    mkdir -p "$azurite_prefix"
    npm install --prefix "$azurite_prefix" --no-audit --no-fund --loglevel=error "azurite@$azurite_version" >/dev/null \
      || echo "warning: npm install azurite@$azurite_version failed; the Azure Blob integration tests will fail and say so"
  else
    echo "warning: npm not found (install Node.js 20: apt-get install -y nodejs npm); the Azure Blob integration tests will fail and say so"
  fi
fi

# aiosmtpd (Debian's python3-aiosmtpd) for tests/Commerce.Jobs.Notifications.Email.Tests (its fixture starts an SMTP server on
# 127.0.0.1 with /usr/bin/python3). Idempotent: installs only when Debian's python3 cannot import it.
if ! /usr/bin/python3 -c "import aiosmtpd" >/dev/null 2>&1; then
  echo "installing python3-aiosmtpd (/usr/bin/python3 cannot import aiosmtpd)"
  if [ "$(id -u)" -eq 0 ]; then
    apt_install python3-aiosmtpd \
      || echo "warning: apt-get install -y python3-aiosmtpd failed; the e-mail notifier tests will fail and say so"
  else
    echo "warning: not root: run 'apt-get install -y python3-aiosmtpd' as root; the e-mail notifier tests will fail and say so"
  fi
fi

dotnet build Commerce.Jobs.sln -c Release -nologo -clp:ErrorsOnly
build=$?
if [ $build -ne 0 ]; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

dotnet test Commerce.Jobs.sln -c Release --no-build --nologo \
  --logger "trx" --results-directory "$results" -- RunConfiguration.TestSessionTimeout=1200000
test_rc=$?

python3 - "$results" "$test_rc" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
results, rc = sys.argv[1], int(sys.argv[2])
passed = failed = skipped = 0
files = glob.glob(f"{results}/**/*.trx", recursive=True)
for f in files:
    c = ET.parse(f).getroot().find('.//{*}ResultSummary/{*}Counters')
    if c is None:
        continue
    a = {k: int(v) for k, v in c.attrib.items() if v.isdigit()}
    passed += a.get('passed', 0)
    failed += a.get('failed', 0) + a.get('error', 0) + a.get('timeout', 0) + a.get('aborted', 0)
    skipped += a.get('total', 0) - a.get('executed', 0)
if rc != 0 and failed == 0:
    failed = 1  # the runner failed without a recorded test failure (crash, no TRX)
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or passed == 0 else 0)
PY
