#!/usr/bin/env bash
# Subtitles for a media folder, safe to run again and again (by hand, from cron, nightly):
# woasr's manifest (OUT_DIR/.woasr-manifest.db) skips every file already done with the same
# options, so a rerun only transcribes what is new or changed, and an interrupted run resumes.
#
#   examples/transcribe-folder.sh MEDIA_DIR OUT_DIR [more `woasr transcribe` flags ...]
#   examples/transcribe-folder.sh ~/Videos ~/subs -f srt,vtt --language de
#
# Exit code: 0 when every input is done, 1 when some input failed (the summary names each one
# and why; the rest are done), 2 for a usage error, 130/143 when interrupted (run it again).
# Set WOASR to the command to run (default: woasr on PATH).
set -uo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 MEDIA_DIR OUT_DIR [woasr transcribe flags...]" >&2
  exit 2
fi
media=$1
out=$2
shift 2
woasr=${WOASR:-woasr}

# Flags first, then `--`: a folder or file whose name starts with a dash is never read as a flag.
$woasr transcribe -o "$out" "$@" -- "$media"
code=$?
case $code in
  0 | 1) ;;                     # 1: some inputs failed; summarised below
  *) exit "$code" ;;            # usage error, interrupted: nothing more to say
esac

# The failures recorded in the manifest, one line each, for the inputs that still exist
# (with jq: jq -r '.jobs[] | "  \(.input): \(.error)"').
summary=$($woasr status -o "$out" --json --state failed | python3 -c '
import json, os, sys
for job in json.load(sys.stdin)["jobs"]:
    path, error = job["input"], job["error"]
    if os.path.lexists(path):
        print("  " + path + ": " + str(error))
')
if [ -n "$summary" ]; then
  echo "woasr: these inputs failed (fix them and run this again; finished files are kept):" >&2
  echo "$summary" >&2
fi
exit "$code"
