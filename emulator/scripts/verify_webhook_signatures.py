#!/usr/bin/env python3
"""Checks the emulator's webhook signatures with an implementation that is not its own: the
`stripe` package from PyPI (`stripe.Webhook.construct_event`).

It listens on a free local port, registers that as a webhook endpoint on a running emulator through
the API, triggers a few events, and verifies every delivery. A tampered body and a wrong secret must
be rejected; after a secret roll (control API) both the new and the old secret must verify, each
signature on its own; after a roll with no overlap the replaced secret must stop verifying.

    EMULATOR_URL=http://127.0.0.1:12111 EMULATOR_KEY=sk_test_... python3 verify_webhook_signatures.py

Exits 0 when every check passed, 1 with the failures listed otherwise.
"""

import argparse
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import stripe

WAIT_SECONDS = 15


class Emulator:
    def __init__(self, url, key):
        self.url = url.rstrip("/")
        self.key = key

    def _send(self, method, path, data=None, headers=None):
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return json.load(resp)
        except urllib.error.HTTPError as e:
            raise SystemExit(f"FAIL: {method} {path} answered {e.code}: {e.read().decode(errors='replace')}")
        except urllib.error.URLError as e:
            raise SystemExit(f"FAIL: cannot reach the emulator at {self.url}: {e.reason}")

    def api(self, method, path, params=None):
        """Stripe's API: form-encoded, Bearer key."""
        data = urllib.parse.urlencode(params or [], doseq=True).encode() if method == "POST" else None
        headers = {"Authorization": f"Bearer {self.key}"}
        if data is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return self._send(method, "/v1" + path, data, headers)

    def control(self, path, body):
        """The emulator's own API: JSON, no auth."""
        return self._send(
            "POST", "/_emulator" + path, json.dumps(body).encode(), {"Content-Type": "application/json"}
        )


class Inbox:
    """Deliveries received by the local endpoint: (Stripe-Signature header, raw body)."""

    def __init__(self):
        self.cond = threading.Condition()
        self.items = []

    def add(self, header, body):
        with self.cond:
            self.items.append((header, body))
            self.cond.notify_all()

    def wait_for(self, pred, what):
        """The first delivery whose event satisfies pred; fails after WAIT_SECONDS."""
        deadline = time.monotonic() + WAIT_SECONDS
        with self.cond:
            while True:
                for header, body in self.items:
                    if pred(json.loads(body)):
                        return header, body
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [json.loads(b)["type"] for _, b in self.items]
                    raise SystemExit(f"FAIL: no delivery of {what} within {WAIT_SECONDS}s (received: {seen})")
                self.cond.wait(left)


def serve(inbox):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            inbox.add(self.headers.get("Stripe-Signature"), body)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"received": true}')

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Checks:
    def __init__(self):
        self.failures = []
        self.passed = 0

    def ok(self, cond, what):
        if cond:
            self.passed += 1
            print(f"  ok   {what}")
        else:
            self.failures.append(what)
            print(f"  FAIL {what}")

    def verifies(self, body, header, secret, what):
        try:
            event = stripe.Webhook.construct_event(body, header, secret)
        except stripe.SignatureVerificationError as e:
            self.ok(False, f"{what} (stripe said: {e})")
            return None
        except ValueError as e:
            self.ok(False, f"{what} (payload is not JSON: {e})")
            return None
        self.ok(True, what)
        return event

    def rejects(self, body, header, secret, what):
        try:
            stripe.Webhook.construct_event(body, header, secret)
        except stripe.SignatureVerificationError:
            self.ok(True, what)
            return
        self.ok(False, f"{what} (stripe accepted it)")


def v1_signatures(header):
    parts = [p.split("=", 1) for p in (header or "").split(",")]
    return [v for k, v in parts if k == "v1"], [v for k, v in parts if k == "t"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("EMULATOR_URL"), help="emulator base URL (EMULATOR_URL)")
    parser.add_argument("--key", default=os.environ.get("EMULATOR_KEY"), help="its secret key (EMULATOR_KEY)")
    args = parser.parse_args()
    if not args.url or not args.key:
        parser.error("the emulator's URL and key are needed: --url/--key or EMULATOR_URL/EMULATOR_KEY")

    started = time.monotonic()
    emu = Emulator(args.url, args.key)
    inbox = Inbox()
    server = serve(inbox)
    hook_url = f"http://127.0.0.1:{server.server_address[1]}/webhooks"
    checks = Checks()
    print(f"webhook signatures: stripe-python {stripe.VERSION} against {emu.url}, endpoint {hook_url}")

    endpoint = emu.api("POST", "/webhook_endpoints", [("url", hook_url), ("enabled_events[]", "*")])
    try:
        secret = endpoint.get("secret") or ""
        checks.ok(secret.startswith("whsec_"), "the new endpoint's secret starts with whsec_")

        email = f"webhooks-{int(time.time() * 1000)}@example.com"
        customer = emu.api("POST", "/customers", {"email": email})
        emu.api("POST", f"/customers/{customer['id']}", {"name": "Webhook Tester"})
        product = emu.api("POST", "/products", {"name": "Webhook product"})
        expected = [
            ("customer.created", customer["id"]),
            ("customer.updated", customer["id"]),
            ("product.created", product["id"]),
        ]
        for event_type, obj_id in expected:
            header, body = inbox.wait_for(
                lambda e: e["type"] == event_type and e["data"]["object"]["id"] == obj_id,
                f"{event_type} for {obj_id}",
            )
            sigs, ts = v1_signatures(header)
            checks.ok(len(sigs) == 1 and len(ts) == 1, f"{event_type}: header has t= and one v1= ({header})")
            event = checks.verifies(body, header, secret, f"{event_type}: construct_event accepts it")
            if event is not None:
                checks.ok(
                    event["type"] == event_type and event["data"]["object"]["id"] == obj_id,
                    f"{event_type}: the event construct_event returns is the one sent",
                )
            # Change the id's last character to a different one (an id may already end in X).
            swapped = obj_id[:-1] + ("Y" if obj_id.endswith("X") else "X")
            tampered = body.replace(obj_id.encode(), swapped.encode(), 1)
            checks.rejects(tampered, header, secret, f"{event_type}: a tampered body is rejected")
            checks.rejects(body + b" ", header, secret, f"{event_type}: a body with a byte added is rejected")
            checks.rejects(body, header, "whsec_" + "0" * 32, f"{event_type}: a wrong secret is rejected")

        # Rolling the secret with an overlap: both sign until the old one expires.
        rolled = emu.control(f"/webhook_endpoints/{endpoint['id']}/roll_secret", {"expires_in_seconds": 3600})
        new_secret = rolled.get("secret") or ""
        checks.ok(new_secret.startswith("whsec_") and new_secret != secret, "roll_secret gives a new secret")
        emu.api("POST", f"/customers/{customer['id']}", {"name": "Rolled Once"})
        header, body = inbox.wait_for(
            lambda e: e["type"] == "customer.updated" and e["data"]["object"].get("name") == "Rolled Once",
            "customer.updated after the roll",
        )
        sigs, ts = v1_signatures(header)
        checks.ok(len(sigs) == 2, f"during the overlap the header has two v1 signatures ({header})")
        checks.verifies(body, header, new_secret, "during the overlap the new secret verifies")
        checks.verifies(body, header, secret, "during the overlap the old secret verifies")
        checks.rejects(body, header, "whsec_" + "1" * 32, "during the overlap a wrong secret is rejected")
        for i, sig in enumerate(sigs):
            single = f"t={ts[0]},v1={sig}"
            matches = []
            for name, s in (("new", new_secret), ("old", secret)):
                try:
                    stripe.Webhook.construct_event(body, single, s)
                    matches.append(name)
                except stripe.SignatureVerificationError:
                    pass
            checks.ok(len(matches) == 1, f"signature {i + 1} alone verifies with exactly one secret ({matches})")

        # Rolling again with no overlap: the secret just replaced stops signing at once, while the
        # first one keeps signing until its own hour is up.
        rolled = emu.control(f"/webhook_endpoints/{endpoint['id']}/roll_secret", {"expires_in_seconds": 0})
        newest = rolled.get("secret") or ""
        emu.api("POST", f"/customers/{customer['id']}", {"name": "Rolled Twice"})
        header, body = inbox.wait_for(
            lambda e: e["type"] == "customer.updated" and e["data"]["object"].get("name") == "Rolled Twice",
            "customer.updated after the second roll",
        )
        sigs, _ = v1_signatures(header)
        checks.ok(len(sigs) == 2, f"after the second roll two secrets sign: the newest and the first ({header})")
        checks.verifies(body, header, newest, "after a roll with no overlap the newest secret verifies")
        checks.rejects(body, header, new_secret, "the secret rolled away with no overlap is rejected")
        checks.verifies(body, header, secret, "the first secret, still within its hour, verifies")
    finally:
        emu.api("DELETE", f"/webhook_endpoints/{endpoint['id']}")
        server.shutdown()

    took = time.monotonic() - started
    if checks.failures:
        print(f"webhook signatures: {len(checks.failures)} of {checks.passed + len(checks.failures)} checks FAILED:")
        for f in checks.failures:
            print(f"  - {f}")
        return 1
    print(f"webhook signatures: all {checks.passed} checks passed ({took:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
