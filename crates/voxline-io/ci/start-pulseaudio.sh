#!/usr/bin/env bash
# Starts a headless PulseAudio server with a null sink for voxline-io's loopback test: what is
# played to the sink comes back on its monitor source, and ALSA's `default`/`pulse` devices
# (libasound2-plugins) route to the server. Idempotent: reuses a running server, loads the
# sink only if missing, and waits until the server answers. Needs the Debian packages
# pulseaudio, pulseaudio-utils (pactl), libasound2-plugins and alsa-utils.
#
#   bash crates/voxline-io/ci/start-pulseaudio.sh
set -euo pipefail

SINK=voxline_null
RATE=48000
LOG=${TMPDIR:-/tmp}/voxline-pulseaudio.log

fail() {
  echo "start-pulseaudio: $*" >&2
  echo "--- pactl info:" >&2
  pactl info >&2 || true
  echo "--- server log ($LOG):" >&2
  tail -n 40 "$LOG" >&2 2>/dev/null || true
  exit 1
}

for tool in pulseaudio pactl; do
  command -v "$tool" >/dev/null || fail "$tool not found (apt-get install pulseaudio pulseaudio-utils)"
done

if ! pactl info >/dev/null 2>&1; then
  # As root PulseAudio warns that it is meant for a user session; in a CI container that is
  # what we want (a per-user server, no D-Bus, no hardware modules: -n skips default.pa).
  pulseaudio --daemonize=yes --exit-idle-time=-1 --disallow-exit -n \
    --log-target="file:$LOG" --log-level=notice \
    --load="module-native-protocol-unix" \
    || fail "pulseaudio did not start"
  for _ in $(seq 1 50); do
    pactl info >/dev/null 2>&1 && break
    sleep 0.2
  done
  pactl info >/dev/null 2>&1 || fail "the server does not answer after 10 s"
fi

if ! pactl list short sinks | awk '{print $2}' | grep -qx "$SINK"; then
  pactl load-module module-null-sink sink_name="$SINK" rate="$RATE" channels=2 \
    sink_properties=device.description=voxline-loopback >/dev/null \
    || fail "could not load module-null-sink"
fi
pactl set-default-sink "$SINK" || fail "could not set the default sink"
pactl set-default-source "$SINK.monitor" || fail "could not set the default source"

# ALSA's default device must go to PulseAudio: libasound2-plugins does this through
# /usr/share/alsa/alsa.conf.d/pulse.conf when a server is running. Check it.
if command -v aplay >/dev/null; then
  if ! aplay -L 2>/dev/null | grep -A1 -x default | grep -qi pulse; then
    fail "ALSA's default device does not route to PulseAudio (is libasound2-plugins installed?)"
  fi
fi

info=$(pactl info)
echo "$info" | grep -E "Server Version|Default Sink|Default Source|Default Sample"
echo "$info" | grep -q "Default Sink: $SINK" || fail "default sink is not $SINK"
echo "$info" | grep -q "Default Source: $SINK.monitor" || fail "default source is not $SINK.monitor"
echo "PulseAudio null-sink loopback ready ($SINK -> $SINK.monitor, $RATE Hz)"
