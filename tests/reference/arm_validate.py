#!/usr/bin/env python3
"""An independent check of recorded ARM traffic against the published OpenAPI spec.

Usage: python3 tests/reference/arm_validate.py SPEC_DIR TRAFFIC.jsonl

SPEC_DIR is `shared/spec` (the Microsoft.AzureSphere 2024-04-01 spec and the ARM common types).
TRAFFIC.jsonl holds one recorded answer per line, in the order they were received, written by the
simulator's test harness (`src-tauri/sim/tests/it/arm_support.rs`):
`{"method": "GET", "path": "/subscriptions/...", "status": 200, "body": {...} | null,
  "headers": {"azure-asyncoperation": "...", "location": "..."}}` (only those two headers).

Written apart from the simulator's own validator (`asg_fota_sim::openapi`, Rust) so that a mistake
cannot hide in both: this one matches paths itself, resolves `$ref`s itself and validates answers
*closed* (an object may hold only the properties its schema lists, as Azure's model validator does
for responses), so a misspelt property fails. It also checks that each status is one the operation
declares, and that long-running operations send their polling headers. A polling answer
(`operationStatuses` / `operationResults`) is checked against the operation whose answer carried
its URL, so the traffic must be in order. Standard library only.

Prints a JSON summary on stdout — `answers`, `routed` (operations that answered anything but "no
such route"), `succeeded` (operations that answered a declared 2xx), `errors` — and exits 1 on any
violation, 2 on bad input.
"""

import json
import os
import re
import sys
from datetime import datetime

POLL = re.compile(
    r"^/subscriptions/[^/]+/providers/Microsoft\.AzureSphere/locations/[^/]+/"
    r"(operationStatuses|operationResults)/([^/?]+)$", re.I)
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
COMMON = "../../../../../common-types/resource-management/v3/types.json"
# Operations whose final result the spec leaves without a body (no 200 declared) but the service
# answers with a resource (docs/simulator-arm.md: uploadImage's result is how the image id is learnt).
# UNSURE: not in the spec; the body is checked against this definition rather than refused.
UNDECLARED_RESULTS = {"Catalogs_UploadImage": "Image"}


class Spec:
    def __init__(self, spec_dir):
        self.files = {}
        self.main = os.path.join(spec_dir, "azuresphere-2024-04-01.json")
        self.common = os.path.join(spec_dir, "common-types-v3-types.json")
        doc = self.load(self.main)
        self.load(self.common)
        self.routes = []  # (method, [segments], operation)
        for path, item in doc["paths"].items():
            for method, op in item.items():
                if method == "parameters":
                    continue
                segments = [s for s in path.split("/") if s]
                self.routes.append((method.upper(), segments, op))

    def load(self, path):
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        self.files[path] = doc
        return doc

    def resolve(self, ref, base):
        """A `$ref` relative to the file `base` → (file, schema)."""
        target, _, pointer = ref.partition("#")
        if target:
            # The spec names the ARM common types by their place in azure-rest-api-specs;
            # shared/spec holds that file as common-types-v3-types.json.
            if target.endswith("common-types/resource-management/v3/types.json"):
                path = self.common
            else:
                path = os.path.normpath(os.path.join(os.path.dirname(base), target))
            doc = self.files.get(path) or self.load(path)
        else:
            path, doc = base, self.files[base]
        node = doc
        for part in [p for p in pointer.split("/") if p]:
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return path, node

    def operation(self, method, path):
        segments = [s for s in path.split("/") if s]
        for m, pattern, op in self.routes:
            if m != method or len(pattern) != len(segments):
                continue
            if all(p.startswith("{") or p.lower() == s.lower() for p, s in zip(pattern, segments)):
                return op
        return None

    def all_operations(self):
        return sorted(op["operationId"] for _, _, op in self.routes)


class Checker:
    def __init__(self, spec):
        self.spec = spec
        self.errors = []
        self.polls = {}  # operation id in a polling URL → the spec operation that started it

    def fail(self, where, text):
        self.errors.append(f"{where}: {text}")

    def flatten(self, schema, base):
        """Follows `$ref`s and merges `allOf`: (file, properties, required, rest)."""
        while "$ref" in schema:
            base, schema = self.spec.resolve(schema["$ref"], base)
        props, required = {}, set(schema.get("required", []))
        for part in schema.get("allOf", []):
            _, part_props, part_required, _ = self.flatten(part, base)
            props.update(part_props)
            required |= part_required
        for name, sub in schema.get("properties", {}).items():
            props[name] = (base, sub)
        return base, props, required, schema

    def check(self, value, schema, base, where):
        base, props, required, schema = self.flatten(schema, base)
        if value is None:
            if not schema.get("x-nullable"):
                self.fail(where, "null where the spec allows no null")
            return
        kind = schema.get("type") or ("object" if props or "additionalProperties" in schema else None)
        if kind == "object":
            if not isinstance(value, dict):
                return self.fail(where, f"expected an object, got {json.dumps(value)[:80]}")
            for name in sorted(required - value.keys()):
                self.fail(where, f"required property '{name}' is missing")
            extra = schema.get("additionalProperties")
            for name, item in value.items():
                if name in props:
                    sub_base, sub = props[name]
                    self.check(item, sub, sub_base, f"{where}.{name}")
                elif isinstance(extra, dict):
                    self.check(item, extra, base, f"{where}.{name}")
                elif extra is not True:
                    self.fail(where, f"property '{name}' is not in the spec")
        elif kind == "array":
            if not isinstance(value, list):
                return self.fail(where, "expected an array")
            for i, item in enumerate(value):
                self.check(item, schema.get("items", {}), base, f"{where}[{i}]")
        elif kind == "string":
            if not isinstance(value, str):
                return self.fail(where, f"expected a string, got {json.dumps(value)[:80]}")
            if "enum" in schema and value not in schema["enum"]:
                self.fail(where, f"'{value}' is not one of {schema['enum']}")
            fmt = schema.get("format")
            if fmt == "date-time":
                try:
                    datetime.fromisoformat(value.replace("Z", "+00:00"))
                except ValueError:
                    self.fail(where, f"'{value}' is not a date-time")
            if fmt == "uuid" and not UUID.match(value):
                self.fail(where, f"'{value}' is not a uuid")
            if "pattern" in schema and not re.search(schema["pattern"], value):
                self.fail(where, f"'{value}' does not match {schema['pattern']}")
            if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", 1 << 30):
                self.fail(where, f"'{value}' has a length outside the spec's bounds")
        elif kind in ("integer", "number"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return self.fail(where, f"expected a {kind}, got {json.dumps(value)[:80]}")
            if kind == "integer" and isinstance(value, float) and not value.is_integer():
                self.fail(where, f"{value} is not an integer")
            if value < schema.get("minimum", float("-inf")) or value > schema.get("maximum", float("inf")):
                self.fail(where, f"{value} is outside the spec's bounds")
        elif kind == "boolean":
            if not isinstance(value, bool):
                self.fail(where, f"expected a boolean, got {json.dumps(value)[:80]}")

    def error_body(self, body, where):
        self.check(body, {"$ref": f"{COMMON}#/definitions/ErrorResponse"}, self.spec.main, where)

    def answer(self, record):
        """Checks one answer; returns (operationId or None, routed, succeeded)."""
        method, path = record["method"].upper(), record["path"].split("?")[0]
        status, body = int(record["status"]), record.get("body")
        headers = {k.lower(): v for k, v in (record.get("headers") or {}).items()}
        where = f"{method} {path} → {status}"
        poll = POLL.match(path)
        if poll:
            return self.poll(poll.group(1), poll.group(2), status, body, headers, where)
        op = self.spec.operation(method, path)
        if op is None and method == "GET":
            # UNSURE (as the simulator, docs/simulator-arm.md): a POST list action's nextLink may
            # be followed with GET, as generated clients do; it answers as the POST it continues.
            op = self.spec.operation("POST", path)
            if op is not None and "x-ms-pageable" not in op:
                op = None
        if op is None:
            # A path or method the spec does not have: only an ARM error can be right.
            if status < 400:
                self.fail(where, "no operation of the spec has this method and path")
            else:
                self.error_body(body, where)
            return None, False, False
        op_id = op["operationId"]
        where = f"{where} ({op_id})"
        if status >= 400:
            self.response(body, op["responses"]["default"], where)
            no_route = status == 404 and isinstance(body, dict) and \
                (body.get("error") or {}).get("code") == "InvalidResourceType"
            return op_id, not no_route, False
        declared = op["responses"].get(str(status))
        if declared is None:
            self.fail(where, f"the operation declares no {status} answer")
            return op_id, True, False
        self.response(body, declared, where)
        self.lro_headers(op, status, body, headers, where)
        return op_id, True, True

    def lro_headers(self, op, status, body, headers, where):
        """A started long-running operation says where to poll; remembers which operation it was.
        A 201 whose resource is already in a terminal state finished synchronously (ARM's RPC
        allows it) and needs no polling URL."""
        state = ((body or {}).get("properties") or {}).get("provisioningState") \
            if isinstance(body, dict) else None
        if status == 201 and "azure-asyncoperation" not in headers \
                and state not in ("Succeeded", "Failed", "Canceled"):
            self.fail(where, f"201 in state {state} without Azure-AsyncOperation")
        if status == 202 and "location" not in headers:
            self.fail(where, "202 without Location")
        if status in (201, 202) and not op.get("x-ms-long-running-operation"):
            self.fail(where, f"{status} from an operation the spec does not mark long-running")
        for name in ("azure-asyncoperation", "location"):
            url = headers.get(name)
            if url:
                match = POLL.match(re.sub(r"^[a-z]+://[^/]+", "", url.split("?")[0]))
                if not match:
                    self.fail(where, f"{name} is not an ARM polling URL: {url}")
                else:
                    self.polls[match.group(2).lower()] = op

    def poll(self, kind, operation, status, body, headers, where):
        op = self.polls.get(operation.lower())
        if op is None:
            # An unknown operation id can only be an ARM error (a test asks for one on purpose).
            if status < 400:
                self.fail(where, "polls an operation no earlier answer started")
            else:
                self.error_body(body, where)
            return None, False, False
        if kind.lower() == "operationstatuses":
            if status >= 400:
                self.error_body(body, where)
            else:
                schema = {"$ref": f"{COMMON}#/definitions/OperationStatusResult"}
                self.check(body, schema, self.spec.main, where + " (operation status)")
                if status != 200:
                    self.fail(where, "an operation status answers 200")
            return None, False, False
        where = f"{where} (result of {op['operationId']})"
        if status == 202:
            if "location" not in headers:
                self.fail(where, "202 without Location")
            self.empty(body, where)
        elif status >= 400:
            self.error_body(body, where)
        elif status in (200, 204):
            # The final resource, as the operation's own 200 declares it (nothing when it declares
            # no 200 body, as for uploadImage).
            declared = op["responses"].get("200")
            if declared is None and op["operationId"] in UNDECLARED_RESULTS:
                declared = {"schema": {"$ref": f"#/definitions/{UNDECLARED_RESULTS[op['operationId']]}"}}
            self.response(body, declared or {}, where)
        else:
            self.fail(where, f"an operation result answers {status}")
        return None, False, False

    def response(self, body, declared, where):
        if "schema" not in declared:
            return self.empty(body, where)
        self.check(body, declared["schema"], self.spec.main, where)

    def empty(self, body, where):
        if body not in (None, "", {}):
            self.fail(where, "the spec declares no body here, one was sent")


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    spec = Spec(argv[1])
    checker = Checker(spec)
    count, routed, succeeded = 0, set(), set()
    with open(argv[2], encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as e:
                print(f"line {number}: not JSON ({e})", file=sys.stderr)
                return 2
            op, was_routed, ok = checker.answer(record)
            if was_routed:
                routed.add(op)
            if ok:
                succeeded.add(op)
            count += 1
    print(json.dumps({
        "answers": count,
        "spec_operations": len(spec.all_operations()),
        "routed": sorted(routed),
        "succeeded": sorted(succeeded),
        "errors": checker.errors,
    }, indent=1, ensure_ascii=False))
    return 1 if checker.errors or count == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
