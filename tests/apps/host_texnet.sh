#!/bin/sh
# The host-side `texnet` for tests/test_gimp_e2e.py. gimp3.sh runs `chroot /host $TEXNET`, and
# /host is a non-recursive bind of /, so /dev is empty there; torch refuses to import without
# /dev/urandom. Mount the kernel's devtmpfs there (mounts are private on this machine kind; the
# mount goes away when gimp3.sh detaches /host), then run the real engine.
[ -c /dev/urandom ] || mount -t devtmpfs devtmpfs /dev || exit 1
[ -r /proc/self/stat ] || mount -t proc proc /proc 2>/dev/null || true
exec "$TEXNET_E2E_ENGINE" "$@"
