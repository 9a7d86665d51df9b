#!/usr/bin/env bash
# Unpack binaries from a Debian package into a folder, without installing it (no root, no system change):
#   tools/debian-tool.sh PACKAGE DEST PATH-IN-PACKAGE...      e.g. prometheus .tools usr/bin/promtool
# Uses this machine's apt sources (bookworm); refreshes the package lists into a private folder when the
# package is not known yet. Prometheus' binaries are static Go programs, so they run from anywhere.
set -euo pipefail
pkg=$1 dest=$2
shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$dest" "$work/lists/partial" "$work/cache/archives/partial"
download() { (cd "$work" && apt-get "$@" download "$pkg" >/dev/null 2>&1); }
if ! download; then  # no package lists on this machine yet: fetch them into our own folder
    opts=(-o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root)
    apt-get "${opts[@]}" update -qq >/dev/null
    download "${opts[@]}"
fi
dpkg-deb -x "$work/$pkg"_*.deb "$work/x"
for path in "$@"; do
    install -m 0755 "$work/x/$path" "$dest/$(basename "$path")"
done
