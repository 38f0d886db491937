#!/usr/bin/env bash
# Runs JMH benchmarks from the test sources, e.g.
#   scripts/jmh.sh PreprocessBenchmark -f 1 -wi 3 -i 5 -w 1s -r 2s
# Arguments go to org.openjdk.jmh.Main unchanged (a benchmark name regex, then JMH options; -h lists them).
set -euo pipefail
cd "$(dirname "$0")/.."
cp_file=target/jmh.classpath
./mvnw -q -B test-compile dependency:build-classpath -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=test
exec java -cp "target/test-classes:target/classes:$(cat "$cp_file")" org.openjdk.jmh.Main "$@"
