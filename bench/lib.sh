# Sourced by the bench scripts: mount checks, stopping a daemon, dropping caches.

is_mounted() { awk -v m="$1" '$2 == m { found = 1 } END { exit !found }' /proc/mounts; }

# stop_daemon PID MOUNTPOINT: SIGTERM the daemon (the CLI unmounts and exits), SIGKILL after
# 15 s, then make sure nothing is left mounted (a daemon that died without unmounting).
stop_daemon() {
  local p="$1" m="$2"
  if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
    kill -TERM "$p" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  fi
  if is_mounted "$m"; then
    umount "$m" 2>/dev/null || fusermount3 -uz "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  fi
}

drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }
