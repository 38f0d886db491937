#!/usr/bin/env bash
# Runs the fuzz tests (the @FuzzTest methods under src/test/java) in fuzzing mode with Jazzer, one
# target after the other, each for a bounded time. `./mvnw verify` runs the same tests in regression
# mode, on their committed seeds only; this script searches for new inputs.
#
#   scripts/fuzz.sh [--dir DIR] [DURATION] [TARGET...]
#   scripts/fuzz.sh --list
#
# DURATION  per target: seconds (30), or 90s, 10m, 4h.
# TARGET    Class#method (RequestParserFuzzTest#anyWireBytes) or Class for all its fuzz tests;
#           default: every fuzz test (--list shows them).
# --dir DIR where each target gets DIR/<Class>#<method>/: corpus/ (the inputs that found new coverage),
#           fuzz.log, and any finding: crash-<sha1> (or timeout-, oom-) with the input, Crash_<sha1>.java
#           (a reproducer), hs_err_pid*.log (a crashed JVM). Default: target/fuzz. A DIR kept across runs
#           is reused: the fuzzer starts from its corpus (long runs: docs/reliability.md).
#
# Environment: FUZZ_TIMEOUT (seconds one input may take before it counts as a hang, 10),
# FUZZ_JAVA_OPTS (the fuzzing JVM's options, -Xmx1g), MAVEN_ARGS (extra Maven arguments, e.g. -o).
#
# Exit status: 0 when no target found anything; 1 when one did (the inputs stay in DIR, the log shows
# each finding's exception and input); 2 on a usage or build error.
set -uo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

usage() {
  sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# Every @FuzzTest method: "fully.qualified.Class#method", from the test sources.
list_targets() {
  grep -rl --include='*.java' '@FuzzTest' src/test/java | sort | while read -r file; do
    class="${file#src/test/java/}"
    class="${class%.java}"
    class="${class//\//.}"
    awk '/@FuzzTest/ { want = 1; next } want && /void [A-Za-z0-9_]+\(/ {
           match($0, /void [A-Za-z0-9_]+\(/); print substr($0, RSTART + 5, RLENGTH - 6); want = 0 }' "$file" |
      sed "s/^/$class#/"
  done
}

seconds_of() {
  case "$1" in
    *[!0-9smh]* | "" | [smh]*) return 1 ;;
    *h) echo $(( ${1%h} * 3600 )) ;;
    *m) echo $(( ${1%m} * 60 )) ;;
    *s) echo "${1%s}" ;;
    *) echo "$1" ;;
  esac
}

dir="target/fuzz"
seconds=30
requested=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --list) list_targets; exit 0 ;;
    --dir) [[ $# -ge 2 ]] || usage; dir="$2"; shift 2 ;;
    -h | --help) usage ;;
    -*) echo "error: unknown option $1" >&2; usage ;;
    *)
      if [[ ${#requested[@]} -eq 0 ]] && s=$(seconds_of "$1"); then
        seconds="$s"
      else
        requested+=("$1")
      fi
      shift ;;
  esac
done
if [[ "$seconds" -lt 1 ]]; then
  echo "error: the duration must be at least 1 s" >&2
  exit 2
fi

all=$(list_targets)
targets=()
if [[ ${#requested[@]} -eq 0 ]]; then
  mapfile -t targets <<<"$all"
else
  for want in "${requested[@]}"; do
    # Class#method or Class, with or without the package
    matches=$(grep -E "(^|\.)${want//./\\.}(#|$)" <<<"$all" || true)
    if [[ "$want" != *"#"* ]]; then
      matches=$(grep -E "(^|\.)${want//./\\.}#" <<<"$all" || true)
    fi
    if [[ -z "$matches" ]]; then
      echo "error: no fuzz test matches $want; scripts/fuzz.sh --list shows them" >&2
      exit 2
    fi
    mapfile -t -O "${#targets[@]}" targets <<<"$matches"
  done
fi

mkdir -p "$dir" || exit 2
dir="$(cd "$dir" && pwd)"
echo "fuzz: building the test classes and their classpath ..."
# shellcheck disable=SC2086 # MAVEN_ARGS is a list of arguments
if ! ./mvnw -q -B test-compile \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
    -Dmdep.outputFile="$dir/classpath.txt" -Dmdep.includeScope=test; then
  echo "error: the build failed" >&2
  exit 2
fi
classpath="$root/target/test-classes:$root/target/classes:$(cat "$dir/classpath.txt")"
timeout_s="${FUZZ_TIMEOUT:-10}"
read -r -a java_opts <<<"${FUZZ_JAVA_OPTS:--Xmx1g}"

# Prints the finding a target's log shows and the inputs it left, for the CI log.
show_finding() {
  local work="$1"
  echo "---- finding (from $work/fuzz.log) ----"
  grep -n -m1 -E '^== Java Exception|^==[0-9]+== ERROR|ALARM: working on the last Unit|out-of-memory|A fatal error has been detected' \
    "$work/fuzz.log" | cut -d: -f1 | while read -r line; do sed -n "${line},$((line + 40))p" "$work/fuzz.log"; done
  local found=0 file
  while read -r file; do
    found=1
    case "$file" in
      */hs_err_pid*.log)
        echo "the JVM crashed: $file"
        sed -n '1,25p' "$file" | sed 's/^/  /' ;;
      *)
        echo "input: $file ($(stat -c %s "$file") bytes), first 256 bytes:"
        od -A d -t x1 -N 256 "$file" | sed 's/^/  /' ;;
    esac
  done < <(find "$work" -maxdepth 1 -type f -newer "$work/.started" \
             \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'slow-unit-*' -o -name 'hs_err_pid*.log' \) | sort)
  if [[ "$found" -eq 0 ]]; then
    echo "no input was saved; the end of $work/fuzz.log:"
    tail -40 "$work/fuzz.log" | sed 's/^/  /'
  fi
  echo "----"
}

summary=()
failed=0
for target in "${targets[@]}"; do
  class="${target%#*}"
  method="${target#*#}"
  work="$dir/${class##*.}#$method"
  mkdir -p "$work/corpus"
  touch "$work/.started" # findings of earlier runs stay; only the ones newer than this are this run's
  echo "fuzz: $target for ${seconds}s (corpus $work/corpus, $(find "$work/corpus" -type f | wc -l) inputs so far)"
  # The working directory is the target's own: Jazzer puts files there (and, with no project layout
  # around it, never into src/test/resources). libFuzzer stops at -max_total_time; timeout(1) is the
  # last resort should the JVM wedge where libFuzzer's own -timeout cannot reach it.
  (cd "$work" && timeout --kill-after=15 $((seconds + 180)) \
    java "${java_opts[@]}" -cp "$classpath" com.code_intelligence.jazzer.Jazzer \
      --target_class="$class" --target_method="$method" \
      -max_total_time="$seconds" -timeout="$timeout_s" -artifact_prefix="$work/" \
      "$work/corpus") >"$work/fuzz.log" 2>&1
  rc=$?
  runs=$(sed -n 's/^Done \([0-9]*\) runs in.*/\1/p' "$work/fuzz.log" | tail -1)
  stats="${runs:-?} runs, corpus $(find "$work/corpus" -type f | wc -l) inputs"
  if [[ "$rc" -eq 0 ]]; then
    summary+=("PASS  $target  ($stats)")
  else
    failed=$((failed + 1))
    summary+=("FAIL  $target  (exit $rc; $stats; see $work)")
    echo "fuzz: FINDING in $target (exit code $rc)"
    show_finding "$work"
  fi
done

echo "fuzz summary (${seconds}s per target, in $dir):"
printf '  %s\n' "${summary[@]}"
if [[ "$failed" -gt 0 ]]; then
  echo "fuzz: $failed of ${#targets[@]} targets found something; reproduce one with its input in regression mode:" \
       "copy it into src/test/resources/<package>/<Class>Inputs/<method>/ and run ./mvnw test -Dtest=<Class>" >&2
  exit 1
fi
exit 0
