#!/usr/bin/env bash
# Builds the CPU image (docker/Dockerfile.cpu) with podman and proves it, on a Debian host without a
# container registry and without a Docker engine:
#   - the base images are made here: a Debian bookworm JRE 17 with mmdebstrap, and a JDK 17 on top of it for
#     the builder stage (both cached in podman's storage: a second run skips them);
#   - the image is built from the Dockerfile as it is, its bases passed as build arguments, and its jar, copied
#     out of it, must be the -Pcpu-only one: no CUDA or TensorRT bindings (classes or JNI libraries);
#   - the container runs with a read-only root filesystem, a memory limit and a fresh cache volume, and must:
#     run as a non-root user (java as PID 1), turn SERVING on grpc.health.v1, classify a JPEG sent from the
#     host through a port published on 127.0.0.1, report healthy through its HEALTHCHECK, write the built-in
#     model into the cache volume, and on podman stop drain and exit 0 ("stopped drained=true").
# It prints the image size and how long each phase took.
#
# Usage: scripts/image-test.sh            (as root; installs podman, buildah, runc, mmdebstrap, unzip with apt)
# Environment:
#   MIRROR      the Debian mirror for the base image (default: the one apt is configured with)
#   M2_REPO     the Maven repository the builder stage uses as its cache (default: ~/.m2, read-write)
#   JAVA_CACERTS  the Java trust store mounted into the builder, for HTTPS through an intercepting proxy
#                 (default: /etc/ssl/certs/java/cacerts)
#   KEEP=1      keep the container and volume after the run, for a look
set -euo pipefail
cd "$(dirname "$0")/.."

readonly IMAGE=localhost/mobiserve:cpu-test
readonly JRE_BASE=localhost/mobiserve-base/debian-jre:17-bookworm
readonly JDK_BASE=localhost/mobiserve-base/debian-jdk:17-bookworm
readonly NAME=mobiserve-image-test
readonly JAR_NAME=mobiserve-image-test-jar
readonly VOLUME=mobiserve-image-test-cache
readonly CACHE=/home/mobiserve/.cache/mobiserve
readonly MEMORY=2g

fail() { echo "image-test: FAILED: $*" >&2; exit 1; }
say() { echo "image-test: $*"; }

declare -a PHASES=()
phase_start=0
begin() { phase_name=$1; phase_start=$(date +%s); say "--- $phase_name"; }
end() { PHASES+=("$(printf '%-34s %4d s' "$phase_name" $(( $(date +%s) - phase_start )))"); }

work=$(mktemp -d)
bench_pid=
cleanup() {
  local status=$?
  if [[ -n "$bench_pid" ]]; then kill "$bench_pid" 2>/dev/null || true; fi
  if [[ "${KEEP:-}" != 1 ]]; then
    podman rm -f -t 0 "$NAME" >/dev/null 2>&1 || true
    podman rm -f -t 0 "$JAR_NAME" >/dev/null 2>&1 || true
    podman volume rm -f "$VOLUME" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  if (( status != 0 )); then
    echo "image-test: failed (exit $status); the container's log follows, if there is one" >&2
    if [[ -f "$work.log" ]]; then cat "$work.log" >&2; fi
  fi
  rm -f "$work.log"
}
trap cleanup EXIT

# --- tools ---------------------------------------------------------------------------------------------
begin "tools (apt)"
missing=()
for tool in podman buildah runc mmdebstrap newuidmap slirp4netns fuse-overlayfs unzip; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if (( ${#missing[@]} > 0 )); then
  [[ $(id -u) == 0 ]] || fail "missing ${missing[*]}; run as root so that apt-get can install them"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq podman buildah runc mmdebstrap uidmap slirp4netns fuse-overlayfs unzip >/dev/null
fi
command -v java >/dev/null || fail "no java on the PATH (the host runs the health and classify clients)"
# crun refuses this kind of host's hybrid cgroups and raising rlimits is not permitted: runc, cgroupfs, and
# ulimits within the current ones. A file of our own, so that the host's podman settings stay untouched.
cat > "$work/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
export CONTAINERS_CONF="$work/containers.conf"
podman --version
end

# --- base images ---------------------------------------------------------------------------------------
begin "base image: Debian JRE (mmdebstrap)"
if podman image exists "$JRE_BASE"; then
  say "$JRE_BASE exists: kept"
else
  mirror=${MIRROR:-}
  if [[ -z "$mirror" ]]; then
    # The first Debian (not security) mirror apt uses: deb822 .sources files, then one-line sources.list.
    mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
      | awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }')
    [[ -n "$mirror" ]] || mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
      | awk '$1 == "deb" && $2 !~ /^\[/ && $2 !~ /security/ && $3 ~ /^bookworm$/ { print $2; exit }')
  fi
  [[ -n "$mirror" ]] || fail "cannot find a Debian mirror in /etc/apt/sources.list*; set MIRROR"
  say "mirror $mirror"
  # minbase lacks useradd (passwd); sh, coreutils and apt are there. No documentation or translations, as
  # in the slim images a registry would give (manuals stay: the JRE's postinst links into man1).
  mmdebstrap --quiet --variant=minbase --include=openjdk-17-jre-headless,ca-certificates,passwd \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    bookworm "$work/jre.tar" "$mirror" </dev/null \
    || fail "mmdebstrap could not make the base image from $mirror"
  podman import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "$work/jre.tar" "$JRE_BASE" >/dev/null
  rm -f "$work/jre.tar"
fi
end

begin "base image: Debian JDK (builder)"
if podman image exists "$JDK_BASE"; then
  say "$JDK_BASE exists: kept"
else
  printf 'FROM %s\nRUN apt-get update -qq && apt-get install -y -qq --no-install-recommends openjdk-17-jdk-headless >/dev/null && rm -rf /var/lib/apt/lists/*\n' \
    "$JRE_BASE" > "$work/Containerfile.jdk"
  podman build --quiet --network host -f "$work/Containerfile.jdk" -t "$JDK_BASE" "$work" >/dev/null \
    || fail "could not install openjdk-17-jdk-headless on $JRE_BASE"
fi
end

# --- the image -----------------------------------------------------------------------------------------
begin "image build (Dockerfile.cpu)"
m2=${M2_REPO:-$HOME/.m2}
cacerts=${JAVA_CACERTS:-/etc/ssl/certs/java/cacerts}
mkdir -p "$m2"
[[ -f "$cacerts" ]] || fail "no Java trust store at $cacerts (set JAVA_CACERTS)"
previous=$(podman image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
# --format docker: the OCI format has no HEALTHCHECK. The host's Maven repository is the builder's cache and
# its trust store lets Maven through an intercepting HTTPS proxy; neither ends up in the image.
podman build --format docker --network host --layers=false \
  -f docker/Dockerfile.cpu --ignorefile docker/Dockerfile.cpu.dockerignore \
  --build-arg BUILDER_IMAGE="$JDK_BASE" --build-arg RUNTIME_IMAGE="$JRE_BASE" \
  -v "$m2:/root/.m2" -v "$cacerts:/etc/ssl/certs/java/cacerts:ro" \
  -t "$IMAGE" . > "$work/build.log" 2>&1 \
  || { tail -40 "$work/build.log" >&2; fail "podman build -f docker/Dockerfile.cpu failed"; }
# The previous run's image, untagged now, goes.
if [[ -n "$previous" && "$previous" != "$(podman image inspect --format '{{.Id}}' "$IMAGE")" ]]; then
  podman rmi "$previous" >/dev/null 2>&1 || true
fi
image_bytes=$(podman image inspect --format '{{.Size}}' "$IMAGE")
jar_bytes=$(podman run --rm --no-healthcheck --entrypoint stat "$IMAGE" -c %s /opt/mobiserve/mobiserve.jar)
say "image $IMAGE: $((image_bytes / 1000000)) MB (jar $((jar_bytes / 1000000)) MB)"
[[ $(podman image inspect --format '{{.Config.Healthcheck}}' "$IMAGE") == *health* ]] \
  || fail "the image has no HEALTHCHECK"
# The image's jar is the -Pcpu-only one: no CUDA or TensorRT bindings, neither their classes nor their JNI
# libraries (both under org/bytedeco/cuda/ and org/bytedeco/tensorrt/). Copied out of a container that is
# created, never started. (The listing is read whole first: with pipefail, grep ending early would fail unzip
# with SIGPIPE.)
podman rm -f -t 0 "$JAR_NAME" >/dev/null 2>&1 || true
podman create --name "$JAR_NAME" --no-healthcheck "$IMAGE" >/dev/null || fail "podman create $IMAGE failed"
podman cp "$JAR_NAME:/opt/mobiserve/mobiserve.jar" "$work/image.jar" \
  || fail "cannot copy /opt/mobiserve/mobiserve.jar out of the image"
podman rm -f -t 0 "$JAR_NAME" >/dev/null
jar_contents=$(unzip -l "$work/image.jar") || fail "unzip cannot list the image's jar"
grep -q ' io/mobiserve/cli/Main\.class$' <<<"$jar_contents" || fail "the image's jar has no io/mobiserve/cli/Main.class"
gpu_bindings=$(grep -E ' org/bytedeco/(cuda|tensorrt)/' <<<"$jar_contents" || true)
if [[ -n "$gpu_bindings" ]]; then
  fail "the CPU image's jar has $(wc -l <<<"$gpu_bindings") CUDA/TensorRT entries (not built with -Pcpu-only?)," \
    "e.g. $(awk 'NR <= 3 { printf "%s ", $NF }' <<<"$gpu_bindings")"
fi
say "the image's jar has no CUDA or TensorRT bindings (org/bytedeco/cuda/, org/bytedeco/tensorrt/)"
rm -f "$work/image.jar"
end

# --- the host's client ---------------------------------------------------------------------------------
begin "host client (target/mobiserve.jar)"
[[ -f target/mobiserve.jar ]] || ./mvnw -B -q -DskipTests package
client=(java -jar target/mobiserve.jar)
# A JPEG made here with the JDK's own encoder: a photo-like gradient with shapes, 640x480.
cat > "$work/MakeJpeg.java" <<'EOF'
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.File;
import javax.imageio.ImageIO;

public class MakeJpeg {
  public static void main(String[] args) throws Exception {
    BufferedImage image = new BufferedImage(640, 480, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setPaint(new GradientPaint(0, 0, new Color(30, 90, 200), 640, 480, new Color(240, 200, 60)));
    g.fillRect(0, 0, 640, 480);
    g.setColor(new Color(20, 140, 40));
    g.fillOval(180, 120, 280, 240);
    g.dispose();
    if (!ImageIO.write(image, "jpg", new File(args[0]))) {
      throw new IllegalStateException("no JPEG writer");
    }
  }
}
EOF
java -Djava.awt.headless=true "$work/MakeJpeg.java" "$work/scene.jpg"
end

# --- run -----------------------------------------------------------------------------------------------
begin "start until SERVING"
podman rm -f -t 0 "$NAME" >/dev/null 2>&1 || true
podman volume rm -f "$VOLUME" >/dev/null 2>&1 || true
podman volume create "$VOLUME" >/dev/null
# As on Kubernetes: read-only root, /tmp writable (native libraries are unpacked and loaded from there, so
# not noexec), a memory limit the JVM sizes itself by, loopback-only ports chosen by podman. The timer for
# the HEALTHCHECK needs systemd, which this host may not run: the test runs the check itself below.
say "(without systemd podman logs 'unable to get systemd connection' for the health check timer: harmless)"
podman run -d --name "$NAME" \
  --read-only --read-only-tmpfs=false --tmpfs /tmp:rw,exec,nosuid,nodev,size=512m \
  --memory "$MEMORY" \
  --health-interval disable \
  -p 127.0.0.1::8500 -p 127.0.0.1::9090 \
  -v "$VOLUME:$CACHE" \
  "$IMAGE" >/dev/null || fail "podman run failed"
grpc_port=$(podman port "$NAME" 8500/tcp | head -1 | sed 's/.*://')
metrics_port=$(podman port "$NAME" 9090/tcp | head -1 | sed 's/.*://')
[[ -n "$grpc_port" && -n "$metrics_port" ]] || fail "podman published no ports"
say "gRPC on 127.0.0.1:$grpc_port, metrics on 127.0.0.1:$metrics_port"
deadline=$(( $(date +%s) + 300 ))
until "${client[@]}" health --target "127.0.0.1:$grpc_port" --timeout 2s >"$work/health.out" 2>/dev/null; do
  podman logs "$NAME" > "$work.log" 2>&1 || true
  [[ $(podman inspect --format '{{.State.Running}}' "$NAME") == true ]] || fail "the container exited before SERVING"
  (( $(date +%s) < deadline )) || fail "not SERVING after 300 s (health: $(cat "$work/health.out"))"
  sleep 1
done
say "health: $(cat "$work/health.out")"
end

begin "checks"
podman logs "$NAME" > "$work.log" 2>&1
# Non-root, and java is PID 1 (so SIGTERM reaches it).
pid1_uid=$(podman exec "$NAME" sh -c "awk '/^Uid:/ { print \$2 }' /proc/1/status")
pid1_cmd=$(podman exec "$NAME" sh -c "tr '\\0' ' ' < /proc/1/cmdline")
[[ "$pid1_uid" =~ ^[0-9]+$ && "$pid1_uid" != 0 ]] || fail "PID 1 runs as uid '$pid1_uid', not a non-root user"
[[ "$pid1_cmd" == java* ]] || fail "PID 1 is not java: $pid1_cmd"
say "PID 1 is java, uid $pid1_uid"

# The JVM sized itself by the container's memory limit (JDK_JAVA_OPTIONS from the image).
podman exec "$NAME" java -XshowSettings:vm -version > "$work/vm.txt" 2>&1 || true
max_heap=$(grep -m1 'Max. Heap Size' "$work/vm.txt" | sed 's/.*: *//')
grep -q 'MaxRAMPercentage' "$work.log" || fail "the server's JVM did not pick up JDK_JAVA_OPTIONS"
say "JVM max heap in a $MEMORY container: ${max_heap:-unknown}"

# Classify a JPEG sent from the host.
"${client[@]}" classify --target "127.0.0.1:$grpc_port" "$work/scene.jpg" > "$work/classify.out" \
  || fail "classify failed: $(cat "$work/classify.out")"
[[ $(head -1 "$work/classify.out") == scene.jpg && $(wc -l < "$work/classify.out") == 6 ]] \
  || fail "unexpected classify output: $(cat "$work/classify.out")"
say "classified scene.jpg: $(sed -n 2p "$work/classify.out" | sed 's/  */ /g')"
grep -q 'backend cpu: requested with --backend cpu' "$work.log" || fail "the server did not run on the CPU backend"

# The image's HEALTHCHECK, run by podman.
podman healthcheck run "$NAME" >/dev/null || fail "podman healthcheck run: not healthy"
health=$(podman inspect --format '{{.State.Health.Status}}' "$NAME" 2>/dev/null \
  || podman inspect --format '{{.State.Healthcheck.Status}}' "$NAME")
[[ "$health" == healthy ]] || fail "podman reports health '$health'"
say "podman healthcheck: $health"

# The cache volume is the non-root user's: the built-in model was generated into it, and it takes new files.
model=$(podman exec "$NAME" sh -c "ls $CACHE/models/*.onnx" | head -1)
[[ -n "$model" ]] || fail "no model in the cache volume"
owner=$(podman exec "$NAME" stat -c %u "$model")
[[ "$owner" == "$pid1_uid" ]] || fail "$model belongs to uid $owner, not $pid1_uid"
podman exec "$NAME" touch "$CACHE/engines/.writable" || fail "$CACHE/engines is not writable"
say "cache volume writable by uid $pid1_uid ($model)"

# Metrics on the published metrics port.
# Calls answered so far, from the metrics port.
requests_total() {
  local metrics
  metrics=$(exec 3<>"/dev/tcp/127.0.0.1/$metrics_port" && printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3 && cat <&3) \
    || fail "nothing answers on the metrics port"
  grep -q '^mobiserve_requests_total' <<<"$metrics" || fail "no mobiserve_requests_total on the metrics port"
  awk '/^mobiserve_requests_total/ { sum += $NF } END { printf "%d\n", sum }' <<<"$metrics"
}
requests_before=$(requests_total)
say "metrics port answers: $requests_before calls so far"
end

# --- stop ----------------------------------------------------------------------------------------------
begin "stop under load (SIGTERM, drain)"
# Eight clients keep calls in flight while podman sends SIGTERM: those calls must finish (drained=true);
# the calls they make after it are refused, which is what bench then reports.
"${client[@]}" bench --target "127.0.0.1:$grpc_port" --input jpeg --concurrency 8 --warmup 0s --duration 30s \
  > "$work/bench.out" 2>&1 &
bench_pid=$!
# Until the load is flowing (the client JVM takes a while to start on a busy machine).
deadline=$(( $(date +%s) + 60 ))
until (( $(requests_total) - requests_before >= 16 )); do
  kill -0 "$bench_pid" 2>/dev/null || fail "the load stopped early: $(tail -5 "$work/bench.out")"
  (( $(date +%s) < deadline )) || fail "fewer than 16 calls answered in 60 s of load"
  sleep 0.5
done
requests_during=$(( $(requests_total) - requests_before ))
podman stop -t 45 "$NAME" >/dev/null
# The load's work is done: what it sends now is refused.
kill "$bench_pid" 2>/dev/null || true
wait "$bench_pid" 2>/dev/null || true
exit_code=$(podman inspect --format '{{.State.ExitCode}}' "$NAME")
podman logs "$NAME" > "$work.log" 2>&1
[[ "$exit_code" == 0 ]] || fail "exit code $exit_code after podman stop"
grep -q 'stopped drained=true' "$work.log" || fail "no 'stopped drained=true' in the log: $(grep stopped "$work.log")"
say "exit code 0, $(grep -o 'stopped drained=true' "$work.log"), stopped while 8 clients were sending ($requests_during calls answered before)"
end

echo
say "PASSED"
say "image $IMAGE: $((image_bytes / 1000000)) MB, jar $((jar_bytes / 1000000)) MB"
for line in "${PHASES[@]}"; do echo "  $line"; done
rm -f "$work.log"
