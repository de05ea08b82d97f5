# shellcheck shell=bash
# Runs one long step with a progress line at a fixed interval: the step, its elapsed time, and what its own
# output says it is doing now. Sourced by the scripts whose steps take minutes (.ci/engine/build.sh,
# scripts/stand-in-images.sh), so that a cold build never looks hung.
#
# Usage (after sourcing): progress_run STEP DETAIL_KIND COMMAND [ARG...]
#   STEP         what the step is, as the lines name it ("building the Pulumi CLI")
#   DETAIL_KIND  go-packages: COMMAND prints one Go import path per compiled package (go build -v); the line
#                             names the latest one and counts them (before that, the modules downloaded)
#                last-line:   the line names COMMAND's latest output line
# COMMAND's output goes to a log file, shown (its last lines) only when COMMAND fails; the exit status is COMMAND's.
# Environment: PROGRESS_INTERVAL  seconds between lines (default 10; tests pass fractions such as 0.2)
#              PROGRESS_PREFIX    put before every line (default "==> ")

progress_now_us() { printf '%s\n' "${EPOCHREALTIME/[.,]/}"; }

# 754 -> "12m34s", 9 -> "9s"
progress_duration() {
  local seconds="$1"
  if [ "$seconds" -ge 60 ]; then printf '%dm%02ds' $((seconds / 60)) $((seconds % 60)); else printf '%ds' "$seconds"; fi
}

# Seconds (may be fractional) to microseconds, without floating point in bash.
progress_interval_us() {
  local value="${PROGRESS_INTERVAL:-10}" whole fraction
  [[ "$value" =~ ^[0-9]+(\.[0-9]+)?$ ]] || { printf 'ERROR: PROGRESS_INTERVAL must be a number of seconds (got %s)\n' "$value" >&2; return 1; }
  whole="${value%%.*}"
  fraction="000000"
  if [[ "$value" == *.* ]]; then fraction="${value#*.}000000"; fi
  printf '%d\n' $((10#$whole * 1000000 + 10#${fraction:0:6}))
}

progress_detail() {
  local kind="$1" log="$2" latest count
  case "$kind" in
    go-packages)
      # go build -v names each package it compiles, one import path a line.
      count="$(grep -c -E '^[A-Za-z0-9_.~/-]+$' "$log" || true)"
      latest="$(grep -E '^[A-Za-z0-9_.~/-]+$' "$log" | tail -n 1 || true)"
      if [ -n "$latest" ]; then
        printf '%s packages compiled, latest %s' "$count" "$latest"
      else
        # Before compiling, a cold module cache downloads: "go: downloading MODULE VERSION" lines.
        count="$(grep -c '^go: downloading ' "$log" || true)"
        latest="$(grep '^go: downloading ' "$log" | tail -n 1 | cut -d' ' -f3- || true)"
        if [ -n "$latest" ]; then printf '%s modules downloaded, latest %s' "$count" "$latest"; else printf 'resolving modules'; fi
      fi ;;
    *)
      latest="$(grep -v '^[[:space:]]*$' "$log" | tail -n 1 | cut -c1-120 || true)"
      printf '%s' "${latest:-no output yet}" ;;
  esac
}

progress_run() {
  local step="$1" kind="$2"; shift 2
  local prefix="${PROGRESS_PREFIX-==> }" interval_us log pid status started_us last_us now_us tick
  interval_us="$(progress_interval_us)" || return 2
  # Poll often enough that a finished command is noticed quickly, and never less often than the interval.
  tick=0.5
  [ "$interval_us" -ge 1000000 ] || tick="$(printf '0.%06d' $((interval_us / 4 + 1)))"
  log="$(mktemp "${TMPDIR:-/tmp}/progress.XXXXXX")"
  started_us="$(progress_now_us)"
  last_us="$started_us"
  "$@" >"$log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep "$tick"
    now_us="$(progress_now_us)"
    if [ $((now_us - last_us)) -ge "$interval_us" ] && kill -0 "$pid" 2>/dev/null; then
      printf '%s%s: %s elapsed, %s\n' "$prefix" "$step" "$(progress_duration $(((now_us - started_us) / 1000000)))" \
        "$(progress_detail "$kind" "$log")" >&2
      last_us="$now_us"
    fi
  done
  status=0
  wait "$pid" || status=$?
  now_us="$(progress_now_us)"
  if [ "$status" -eq 0 ]; then
    printf '%s%s: done in %s\n' "$prefix" "$step" "$(progress_duration $(((now_us - started_us) / 1000000)))" >&2
    rm -f "$log"
  else
    printf '%s%s: failed after %s (exit %s); its last lines (all of them in %s):\n' "$prefix" "$step" \
      "$(progress_duration $(((now_us - started_us) / 1000000)))" "$status" "$log" >&2
    tail -n 30 "$log" | sed 's/^/    /' >&2
  fi
  return "$status"
}
