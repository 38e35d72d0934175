#!/usr/bin/env bash
# base-images.sh PYTHON_XY UV_BIN: the two images a generated Dockerfile starts from, made in
# buildah's local storage without any registry: python:PYTHON_XY-slim (a Debian minbase root
# with Debian's python3) and ghcr.io/astral-sh/uv:<version of UV_BIN> (scratch, holding /uv).
# Needs root, buildah and debootstrap. Debian bookworm ships Python 3.11, trixie 3.13.
# The host's CA bundle goes into the base image, as a company's base image carries its proxy's
# CA, so that uv inside the build reaches the index the way this machine does.
set -euo pipefail
py=${1:?python X.Y, e.g. 3.11}; uvbin=${2:?path to the uv binary}
case "$py" in
  3.11) suite=bookworm ;;
  3.13) suite=trixie ;;
  *) echo "no Debian suite ships Python $py: use 3.11 or 3.13" >&2; exit 2 ;;
esac
B="buildah --storage-driver ${STORAGE_DRIVER:-vfs}"
uvver=$("$uvbin" --version | awk '{print $2}')
if ! $B inspect "docker.io/library/python:$py-slim" >/dev/null 2>&1; then
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
  debootstrap --variant=minbase --include=python3,python3-venv,passwd,ca-certificates \
    "$suite" "$root" http://deb.debian.org/debian >/dev/null
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  c=$($B from scratch); m=$($B mount "$c"); cp -a "$root/." "$m/"; $B umount "$c" >/dev/null
  $B config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt "$c"
  $B commit -q "$c" "docker.io/library/python:$py-slim" >/dev/null; $B rm "$c" >/dev/null
fi
if ! $B inspect "ghcr.io/astral-sh/uv:$uvver" >/dev/null 2>&1; then
  c=$($B from scratch); $B copy "$c" "$uvbin" /uv >/dev/null
  $B commit -q "$c" "ghcr.io/astral-sh/uv:$uvver" >/dev/null; $B rm "$c" >/dev/null
fi
echo "python:$py-slim and ghcr.io/astral-sh/uv:$uvver are in buildah's local storage"
