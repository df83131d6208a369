#!/usr/bin/env bash
# Peer GraphQL benchmark: run every query in a directory against one GraphQL URL.
#
#   ./bench.sh GRAPHQL_URL QUERY_DIR [-d SECS] [-w SECS] [-c CONNS] [-t THREADS]
#              [-p SERVER_PID] [-l LABEL] [-o OUT_DIR] [-q 'Q1_list Q3_search'] [-Q SECS]
#
#   GRAPHQL_URL  e.g. http://127.0.0.1:5678/graphql (loopback only)
#   QUERY_DIR    *.graphql files (one operation each; subscriptions are skipped),
#                optional NAME.json (or NAME.vars.json) next to NAME.graphql or in the
#                parent folder: an object, or a list of objects that the load rotates through.
#   -d  measured seconds per query (15)      -w  warm-up seconds per query (3)
#   -c  concurrent connections (32)          -t  wrk threads (2)
#   -p  server PID for RSS/CPU sampling (default: whatever listens on the URL's port)
#   -l  label for the result file (default: basename of QUERY_DIR)
#   -o  output dir (default: results/ next to this script)
#   -q  only these query names (space separated, without .graphql)
#   -Q  before each query wait up to SECS (default 180; 0 = don't) for the host to be
#       quiet (< 0.25 cores busy for 3 s), since anything else running skews results
#
# For each query: build request bodies, verify EVERY distinct body once
# (HTTP 200, no `errors`, non-null/non-empty data; a query that fails is not
# timed), wait for a quiet host, warm up, then run wrk for the measured window
# while sampling server RSS/CPU, postgres CPU, wrk CPU and "foreign" CPU (every
# other process on the host; should be ~0). Prints a markdown table and saves
# it, with raw wrk output and one sample reply per query, under OUT_DIR.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
usage() { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[[ $# -ge 2 ]] || usage
URL="$1"; QDIR="$(cd "$2" && pwd)"; shift 2
DUR=15 WARM=3 CONNS=32 THREADS=2 SPID="" LABEL="" OUT="$HERE/results" ONLY="" QUIET=180
while getopts "d:w:c:t:p:l:o:q:Q:h" opt; do
  case "$opt" in
    d) DUR="$OPTARG" ;; w) WARM="$OPTARG" ;; c) CONNS="$OPTARG" ;; t) THREADS="$OPTARG" ;;
    p) SPID="$OPTARG" ;; l) LABEL="$OPTARG" ;; o) OUT="$OPTARG" ;; q) ONLY="$OPTARG" ;; Q) QUIET="$OPTARG" ;;
    *) usage ;;
  esac
done
[[ -n "$LABEL" ]] || LABEL="$(basename "$QDIR")"
case "$URL" in
  http://127.0.0.1:*|http://localhost:*|http://\[::1\]:*) ;;
  *) echo "refusing non-loopback URL: $URL" >&2; exit 2 ;;
esac
command -v wrk >/dev/null || { echo "wrk not found (apt-get install -y wrk)" >&2; exit 2; }

PORT="$(echo "$URL" | sed -E 's#^http://[^/]*:([0-9]+).*#\1#')"
if [[ -z "$SPID" ]]; then
  SPID="$(ss -ltnpH "sport = :$PORT" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2 || true)"
fi
SPID="${SPID:-0}"

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
RUN="$OUT/$LABEL-$STAMP"
mkdir -p "$RUN"
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
LOG="$RUN/raw.txt"

rss_mb() { python3 "$HERE/tools/procmon.py" rss "$SPID"; }  # PID + children

{
  echo "# bench $LABEL $STAMP"
  echo "url=$URL qdir=$QDIR duration=${DUR}s warmup=${WARM}s conns=$CONNS threads=$THREADS server_pid=$SPID"
  echo "host: nproc=$(nproc) kernel=$(uname -r) wrk=$(wrk -v 2>&1 | head -1 | awk '{print $2}')"
  echo "server RSS idle (before run): $(rss_mb) MB"
} | tee "$LOG"

ROWS=()
for q in "$QDIR"/*.graphql; do
  name="$(basename "$q" .graphql)"
  if [[ -n "$ONLY" ]] && ! grep -qw -- "$name" <<<"$ONLY"; then continue; fi
  if [[ "$(python3 "$HERE/tools/gql.py" kind "$q")" != query ]]; then continue; fi
  vars=""
  for cand in "$QDIR/$name.vars.json" "$QDIR/$name.json" "$QDIR/../$name.json"; do
    if [[ -z "$vars" && -f "$cand" ]]; then vars="$cand"; fi
  done
  bodies="$WORK/$name.jsonl"
  python3 "$HERE/tools/gql.py" bodies "$q" $vars > "$bodies"
  nb=$(wc -l < "$bodies")
  echo "== $name ($nb distinct bodies)" | tee -a "$LOG"
  vres="$(python3 "$HERE/tools/gql.py" check "$URL" "$bodies" "$RUN/$name.sample.json" 2>&1 || true)"
  echo "$vres" | tee -a "$LOG"
  if ! grep -q '^verify ok' <<<"$vres"; then
    ROWS+=("| $name | verify failed | | | | | | | | | |")
    continue
  fi
  if [[ "$QUIET" != 0 ]]; then python3 "$HERE/tools/procmon.py" quiet "$QUIET" | tee -a "$LOG"; fi
  wrk -t"$THREADS" -c"$CONNS" -d"${WARM}s" -s "$HERE/tools/wrk_post.lua" "$URL" -- "$bodies" > "$WORK/warm.txt" 2>&1 || true
  python3 "$HERE/tools/procmon.py" watch "$SPID" "$DUR" > "$WORK/mon.txt" &
  mon=$!
  wrk -t"$THREADS" -c"$CONNS" -d"${DUR}s" --latency -s "$HERE/tools/wrk_post.lua" "$URL" -- "$bodies" > "$WORK/wrk.txt" 2>&1 || true
  wait "$mon" || true
  cat "$WORK/wrk.txt" >> "$LOG"
  res="$(grep '^RESULT' "$WORK/wrk.txt" || true)"
  read -r rss0 rssmax rss1 scpu pgcpu wrkcpu hostcpu forcpu < "$WORK/mon.txt" || true
  echo "procmon: server_rss_mb start=$rss0 max=$rssmax end=$rss1 cpu_cores server=$scpu postgres=$pgcpu wrk=$wrkcpu host=$hostcpu foreign=$forcpu" | tee -a "$LOG"
  if [[ -z "$res" ]]; then
    ROWS+=("| $name | wrk failed | | | | | | | | | |")
    continue
  fi
  get() { sed -E "s/.*[[:space:]]$1=([^[:space:]]+).*/\1/" <<<" $res"; }
  ROWS+=("| $name | $(get rps) | $(get p50_ms) | $(get p99_ms) | $(get gql_errors) | $(get non200) | $(get socket_errors) | ${rssmax:--} | ${scpu:--} | ${pgcpu:--} | ${forcpu:--} |")
done

{
  echo
  echo "$LABEL @ $URL — ${DUR}s per query after ${WARM}s warm-up, $CONNS connections, wrk -t$THREADS; $(nproc) cores shared by load generator, server and Postgres"
  echo
  echo "| query | req/s | p50 ms | p99 ms | gql errors | non-200 | socket errs | server RSS max MB | server CPU | postgres CPU | foreign CPU |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "CPU columns: cores used during the measured window (1.00 = one core); foreign = other processes on the host (should be ~0)."
  echo "server RSS after run: $(rss_mb) MB"
} | tee "$RUN/table.md" | tee -a "$LOG"
echo "saved: $RUN" >&2
