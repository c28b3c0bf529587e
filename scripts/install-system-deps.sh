#!/usr/bin/env bash
# Install the Debian packages the builder and its tests need, if missing.
# ffmpeg + espeak-ng + DejaVu fonts render the draft videos (course media);
# chromium runs the player tests (Playwright drives /usr/bin/chromium); npm
# (with nodejs) installs package-lock.json; zip is
# the baseline of the build benchmark; postgresql is the LRS's second database
# (tests/lrs/conftest.py runs a throw-away server from its binaries).
set -euo pipefail

need=()
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
if [ "${GSOG_WITH_BROWSER:-1}" = "1" ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium)
fi
command -v zip >/dev/null 2>&1 || need+=(zip)
# npm ci installs the official SCORM XSDs (course validate) and the player tests' LMS runtimes.
command -v npm >/dev/null 2>&1 || need+=(npm)
# PostgreSQL server binaries: tests/lrs start a throw-away server from them.
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "missing system packages: ${need[*]}; install them with: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
