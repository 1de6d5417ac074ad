#!/usr/bin/env bash
# Installs the Debian packages of scripts/apt-packages.txt that are missing (as root, or with sudo when it
# needs no password); otherwise names them and fails. Run by `npm test` and `.ci/run`; a no-op when all are there.
set -euo pipefail
list="$(dirname "$0")/apt-packages.txt"
missing=()
while read -r p; do
  p="${p%%#*}"; p="${p//[[:space:]]/}"
  [ -z "$p" ] && continue
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done < "$list"
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=(sudo -n)
else
  echo "Missing Debian packages: ${missing[*]}. Run as root: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "apt-get install ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
