"""Classify an image through mobiserve's KServe v2 / Open Inference Protocol, twice: over gRPC with the
package's KServeClient, and over HTTP/REST with nothing but Python's standard library.

    python3 examples/kserve_v2.py --model digits-mobilenetv3-small --grpc localhost:8500 --http localhost:8000 IMAGE

(the server: `scripts/mobiserve serve --http-port 8000 --model ...`; GET /v2/models/NAME or
`mobiserve-client info` names the model). Any client generated from the protocol's grpc_service.proto
works as KServeClient does; this one uses the package's committed stubs.

Against a server with --tls-cert, both ports speak TLS: give --tls-ca CA.crt (and --tls-cert/--tls-key under
mutual TLS); with --auth-tokens, the token from --token, $MOBISERVE_TOKEN or $MOBISERVE_TOKEN_FILE goes on
both as `authorization: Bearer TOKEN`.
"""

import argparse
import base64
import json
import ssl
import urllib.request

from mobiserve_client import KServeClient, resolve_token


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="the served model's name")
    parser.add_argument("--grpc", default="localhost:8500", help="HOST:PORT of the server's gRPC port")
    parser.add_argument("--http", default="localhost:8000", help="HOST:PORT of its --http-port")
    parser.add_argument("--top-k", type=int, default=3)
    parser.add_argument("--tls-ca", help="the CA that signs the server's certificate: speak TLS on both ports")
    parser.add_argument("--tls-cert", help="client certificate (mutual TLS), with --tls-key")
    parser.add_argument("--tls-key")
    parser.add_argument("--token", help="bearer token (default: $MOBISERVE_TOKEN, or the file $MOBISERVE_TOKEN_FILE)")
    parser.add_argument("image")
    args = parser.parse_args()
    with open(args.image, "rb") as f:
        data = f.read()
    token = resolve_token(args.token)
    tls = args.tls_ca is not None

    with KServeClient(args.grpc, ca=args.tls_ca, cert=args.tls_cert, key=args.tls_key, token=token) as client:
        input_name = client.model_metadata(args.model).inputs[0].name
        print(f"gRPC ModelInfer ({args.model}, input '{input_name}' as BYTES):")
        for c in client.classify(args.model, [data], top_k=args.top_k)[0]:
            print(f"  {c.label or c.index:<12} {c.score:.6f}")

    body = {"inputs": [{"name": input_name, "datatype": "BYTES", "shape": [1],
                        "data": [{"b64": base64.b64encode(data).decode()}]}],
            "outputs": [{"name": "probabilities", "parameters": {"classification": args.top_k}}]}
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    request = urllib.request.Request(f"{'https' if tls else 'http'}://{args.http}/v2/models/{args.model}/infer",
                                     data=json.dumps(body).encode(), headers=headers)
    context = None
    if tls:
        context = ssl.create_default_context(cafile=args.tls_ca)
        if args.tls_cert:
            context.load_cert_chain(args.tls_cert, args.tls_key)
    print(f"HTTP{'S' if tls else ''} POST /v2/models/{args.model}/infer:")
    with urllib.request.urlopen(request, timeout=30, context=context) as response:
        for value in json.load(response)["outputs"][0]["data"]:
            score, index, *label = value.split(":", 2)
            print(f"  {label[0] if label else index:<12} {score}")


if __name__ == "__main__":
    main()
