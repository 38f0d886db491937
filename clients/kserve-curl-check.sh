#!/usr/bin/env bash
# Acceptance check of the KServe v2 HTTP API with curl: starts a server on free loopback ports
# (java -jar target/mobiserve.jar serve --port 0 --http-port 0, the digits model), POSTs one JPEG to
# /v2/models/<name>/infer as a BYTES input asking for the classification extension on `probabilities`
# (top 5), and checks that the indices and scores equal, within 1e-5, what the Python client's Classify
# (mobiserve_client.Client) answers for the same JPEG. Exit status 0 when they do, 1 otherwise.
#
# Environment: PYTHON (default /usr/bin/python3; needs grpcio, protobuf and OpenCV, which encodes the JPEG),
# MOBISERVE_JAR (default target/mobiserve.jar), JAVA (default java).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-/usr/bin/python3}
export PYTHONPATH="$PWD/clients/python${PYTHONPATH:+:$PYTHONPATH}"
work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "kserve-curl-check: FAILED: $*" >&2; exit 1; }

"${JAVA:-java}" -jar "${MOBISERVE_JAR:-target/mobiserve.jar}" serve --host 127.0.0.1 --port 0 --http-port 0 \
  --shutdown-grace 2 --model src/test/resources/digits/digits-mobilenetv3-small.onnx \
  >"$work/server.log" 2>&1 </dev/null &
server_pid=$!
for _ in $(seq 1800); do   # up to 180 s for "serving NAME on port N with BACKEND"
  grep -q ' serving .* on port ' "$work/server.log" && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; fail "the server exited"; }
  sleep 0.1
done
grpc_target=$(sed -n 's/.*listening on \([0-9.]*:[0-9]*\).*/\1/p' "$work/server.log" | head -1)
http_target=$(sed -n 's/.*KServe v2 HTTP on \([0-9.]*:[0-9]*\).*/\1/p' "$work/server.log" | head -1)
model=$(sed -n 's/.* serving \(.*\) on port [0-9]* with .*/\1/p' "$work/server.log" | head -1)
[ -n "$grpc_target" ] && [ -n "$http_target" ] && [ -n "$model" ] \
  || { cat "$work/server.log" >&2; fail "the server did not start serving"; }

# A JPEG of a 5, made from a held-out PNG of the digits model.
"$PYTHON" -c 'import cv2, sys; assert cv2.imwrite(sys.argv[2], cv2.imread(sys.argv[1]))' \
  src/test/resources/digits/heldout/0001_5.png "$work/digit.jpg"

{
  printf '{"inputs": [{"name": "input", "datatype": "BYTES", "shape": [1], "data": [{"b64": "'
  base64 -w0 "$work/digit.jpg"
  printf '"}]}], "outputs": [{"name": "probabilities", "parameters": {"classification": 5}}]}'
} >"$work/request.json"
curl -sS --fail-with-body -X POST -H "Content-Type: application/json" --data-binary @"$work/request.json" \
  -o "$work/response.json" "http://$http_target/v2/models/$model/infer" \
  || { cat "$work/response.json" >&2 2>/dev/null; fail "curl POST /v2/models/$model/infer"; }

"$PYTHON" - "$work/response.json" "$grpc_target" "$work/digit.jpg" <<'EOF'
import json, sys
from mobiserve_client import Client

response_file, target, jpeg = sys.argv[1:]
response = json.load(open(response_file))
output = next(o for o in response["outputs"] if o["name"] == "probabilities")
assert output["datatype"] == "BYTES" and output["shape"] == [1, 5], output
# Triton's classification extension: "value:index:label", the value printed as %f.
curl_top5 = [(int(index), float(value)) for value, index, _label in (s.split(":", 2) for s in output["data"])]
with Client(target) as client:
    classify_top5 = [(c.index, c.probability) for c in client.classify([jpeg], top_k=5)[0].classes]
print(f"curl /v2/models/.../infer top 5: {curl_top5}")
print(f"Classify top 5:                 {[(i, round(p, 6)) for i, p in classify_top5]}")
same = ([i for i, _ in curl_top5] == [i for i, _ in classify_top5]
        and all(abs(a - b) <= 1e-5 for (_, a), (_, b) in zip(curl_top5, classify_top5)))
sys.exit(0 if same else "kserve-curl-check: FAILED: the KServe v2 HTTP top 5 differs from Classify's")
EOF
echo "kserve-curl-check: KServe v2 HTTP top 5 (curl) equals Classify's within 1e-5"
