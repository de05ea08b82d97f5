#!/usr/bin/env bash
# Runs the Pulumi preview of each stack twice: once as a readable diff with the policy pack
# (for the job log, and the policy verdict), once as JSON (for the merge-request note).
# Records, per stack, STACK.diff.txt, STACK.json and STACK.exit in the output folder, and
# always exits 0 after recording: main.ts posts the note first and then fails the job.
set -euo pipefail

readonly USAGE="usage: run-previews.sh --out DIR [--policy-pack DIR] STACK..."

fail_usage() { printf 'ERROR: %s\n%s\n' "$1" "$USAGE" >&2; exit 2; }

parse_args() {
  OUT_DIR=""
  POLICY_PACK="policy"
  STACKS=()
  while [ "$#" -gt 0 ]; do
    case "$1" in
      --out) [ "$#" -ge 2 ] || fail_usage "--out needs a folder"; OUT_DIR="$2"; shift 2 ;;
      --policy-pack) [ "$#" -ge 2 ] || fail_usage "--policy-pack needs a folder"; POLICY_PACK="$2"; shift 2 ;;
      -h|--help) printf '%s\n' "$USAGE"; exit 0 ;;
      --*) fail_usage "unknown option $1" ;;
      *) [[ "$1" =~ ^[A-Za-z0-9._-]+$ ]] || fail_usage "bad stack name '$1'"; STACKS+=("$1"); shift ;;
    esac
  done
  [ -n "$OUT_DIR" ] || fail_usage "--out is required"
  [ "${#STACKS[@]}" -gt 0 ] || fail_usage "name at least one stack"
  [ -d "$POLICY_PACK" ] || fail_usage "policy pack folder '$POLICY_PACK' not found"
  command -v pulumi >/dev/null || fail_usage "pulumi CLI not on PATH"
}

preview_diff() {
  local stack="$1"
  printf '==> pulumi preview --diff --stack %s with policy pack %s\n' "$stack" "$POLICY_PACK"
  set +e
  pulumi preview --stack "$stack" --diff --policy-pack "$POLICY_PACK" --color never --non-interactive 2>&1 \
    | tee "$OUT_DIR/$stack.diff.txt"
  local code="${PIPESTATUS[0]}"
  set -e
  return "$code"
}

preview_json() {
  local stack="$1"
  printf '==> pulumi preview --json --stack %s (for the merge-request note)\n' "$stack"
  set +e
  pulumi preview --stack "$stack" --json --non-interactive >"$OUT_DIR/$stack.json" 2>"$OUT_DIR/$stack.stderr"
  local code="$?"
  set -e
  # stderr may hold values from the program; it goes to the log only, never to the note.
  cat "$OUT_DIR/$stack.stderr" >&2
  return "$code"
}

record_stack() {
  local stack="$1" diff_code=0 json_code=0
  preview_diff "$stack" || diff_code="$?"
  preview_json "$stack" || json_code="$?"
  local code="$diff_code"
  [ "$code" -ne 0 ] || code="$json_code"
  printf '%s\n' "$code" >"$OUT_DIR/$stack.exit"
  if [ "$code" -eq 0 ]; then
    printf '==> preview of %s passed\n' "$stack"
  else
    printf '==> preview of %s FAILED (exit %s): the note will say why\n' "$stack" "$code"
  fi
}

main() {
  parse_args "$@"
  mkdir -p "$OUT_DIR"
  for stack in "${STACKS[@]}"; do
    record_stack "$stack"
  done
}

main "$@"
