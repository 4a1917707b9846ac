#!/bin/sh
# Build the echo-canceller comparison harness (aec_ref) against the Debian packages
# libspeexdsp-dev and libwebrtc-audio-processing-dev (0.3). Nothing of theirs is committed:
# the binary is built here, at evaluation time, into target/ (not tracked by git).
#
#   tools/eval/aec_ref/build.sh [OUTPUT]       default OUTPUT: target/aec_ref/aec_ref
#   tools/eval/aec_ref/build.sh --install ...  first apt-get install the packages (as root)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
pkgs="g++ pkg-config libspeexdsp-dev libwebrtc-audio-processing-dev"
if [ "${1:-}" = "--install" ]; then
    shift
    apt-get update -q && apt-get install -y -q $pkgs
fi
out=${1:-$repo/target/aec_ref/aec_ref}
if ! pkg-config --exists speexdsp webrtc-audio-processing 2>/dev/null; then
    echo "aec_ref: missing libraries; install them with: apt-get install -y $pkgs" >&2
    exit 2
fi
mkdir -p "$(dirname "$out")"
# shellcheck disable=SC2046 # pkg-config output is a list of flags
g++ -O2 -std=c++14 -Wall -Wextra -o "$out" "$here/aec_ref.cc" \
    $(pkg-config --cflags speexdsp webrtc-audio-processing | sed "s/-I/-isystem /g") \
    $(pkg-config --libs speexdsp webrtc-audio-processing)
echo "$out"
