# sim.py: the simulator's shared state: simulated clock, credentials,
# per-operation call counters, fault rules and the per-service states.
#
# One Sim object lives for the process; every handler runs under its
# RLock (sim.lock), so the state is consistent across the threaded HTTP
# server.  The clock is frozen at start-up time and only moves when a test
# says so (POST /_awsim/clock), which makes state transitions
# deterministic.  Faults are rules matched per "service:Operation" (or
# "service:*" / "*"); token buckets refill on the real monotonic clock,
# like EC2's, times their `scale` (simulated seconds per real second, for
# benchmarks that compress minutes into seconds).  reset() rebuilds everything but the listening socket.

import collections
import random
import threading
import time
import uuid

import ec2
import fsx
import opensearch
import sesv2
import services

DEFAULT_AKID = "AKIDSOCATEST"
DEFAULT_SECRET = "soca/test/secret+key"

THROTTLE = {"ec2": ("RequestLimitExceeded", 503, "Request limit exceeded."),
            "ce": ("LimitExceededException", 400, "Rate exceeded"),
            "s3": ("SlowDown", 503, "Please reduce your request rate."),
            "*": ("ThrottlingException", 400, "Rate exceeded")}
INTERNAL = {"ec2": ("InternalError", "An internal error has occurred"),
            "s3": ("InternalError", "We encountered an internal error. "
                   "Please try again."),
            "*": ("InternalFailure", "The request processing has failed "
                  "because of an unknown error, exception or failure.")}
UNAVAILABLE = {"ec2": ("Unavailable", "The server is overloaded and can't "
                       "handle the request."),
               "s3": ("ServiceUnavailable", "Service is unable to handle "
                      "request."),
               "*": ("ServiceUnavailableException", "Service is currently "
                     "unavailable.")}
SPEC_KEYS = {"op", "kind", "count", "rate", "status", "code", "message",
             "latency_ms", "instance_type", "az", "burst", "refill",
             "scale", "body", "after"}

KINDS = ("throttle", "error", "latency", "drop", "lost", "garbage",
         "capacity", "bucket")

# What a `garbage` fault answers, in turn, when it names no body: what a
# broken proxy, a truncated transfer or a confused server could send.
GARBAGE = (
    b"",
    b"<",
    b"<?xml version=\"1.0\"?><RunInstancesResponse><instancesSet><item>",
    b"<?xml version=\"1.0\"?><a><b></a></b>",
    b"<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>"
    b"<x>&b;&b;&b;</x>",
    b"<Response><Errors><Error><Code></Code><Message>" + b"\xff\xfe" * 64 +
    b"</Message></Error></Errors></Response>",
    b"<DescribeInstancesResponse><reservationSet><item><instancesSet><item>"
    b"<instanceId>" + b"i-" + b"f" * 5000 + b"</instanceId>"
    b"<instanceState><code>99999999999999999999</code><name>\x01\x02"
    b"</name></instanceState></item></instancesSet></item></reservationSet>"
    b"<nextToken></nextToken></DescribeInstancesResponse>",
    b"<a>" * 2000,
    b"{",
    b"{\"ResultsByTime\": [{\"Total\": {\"UnblendedCost\": "
    b"{\"Amount\": \"1e999999\", \"Unit\": 7}}}]}",
    b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    b"\x00\x01\x02\x03 binary \xc3\x28 nonsense",
    b"<html><body><h1>502 Bad Gateway</h1></body></html>",
)


class Fault:
    def __init__(self, spec):
        self.spec = dict(spec)
        unknown = set(spec) - SPEC_KEYS
        if unknown:
            raise ValueError("unknown fault keys: %s (known: %s)" % (
                ", ".join(sorted(unknown)), ", ".join(sorted(SPEC_KEYS))))
        self.op = spec.get("op", "*")
        self.kind = spec.get("kind")
        if self.kind not in KINDS:
            raise ValueError("kind must be one of %s" % ", ".join(KINDS))
        if not isinstance(self.op, str) or (self.op != "*" and
                                            ":" not in self.op):
            raise ValueError("op must be \"*\", \"service:*\" or "
                             "\"service:Operation\"")
        self.count = spec.get("count")
        self.rate = spec.get("rate")
        self.status = spec.get("status")
        self.code = spec.get("code")
        self.message = spec.get("message")
        self.latency = float(spec.get("latency_ms", 0)) / 1000.0
        self.instance_type = spec.get("instance_type")
        self.az = spec.get("az")
        self.burst = float(spec.get("burst", 0))
        self.refill = float(spec.get("refill", 0))
        # simulated seconds per real second: refill runs that much faster
        self.scale = float(spec.get("scale", 1))
        if self.scale <= 0:
            raise ValueError("scale must be > 0")
        self.tokens = self.burst
        self.last = time.monotonic()
        self.body = spec.get("body")
        if self.body is not None and not isinstance(self.body, str):
            raise ValueError("body must be a string")
        self.fired = 0
        # the first `after` matching calls pass: {"after": 1} fails the 2nd
        self.after = spec.get("after", 0)
        for k in ("count", "after"):
            v = getattr(self, k)
            if v is not None and (not isinstance(v, int) or v < 0):
                raise ValueError("%s must be a non-negative integer" % k)
        if self.rate is not None and not 0 <= float(self.rate) <= 1:
            raise ValueError("rate must be within 0..1")

    def matches(self, key):
        if self.op in ("*", key):
            return True
        return self.op.endswith(":*") and key.startswith(self.op[:-1])

    def take(self, rng):
        """Whether this rule fires for one matching call."""
        if self.kind == "bucket":
            now = time.monotonic()
            self.tokens = min(self.burst,
                              self.tokens + (now - self.last) * self.refill
                              * self.scale)
            self.last = now
            if self.tokens >= 1:
                self.tokens -= 1
                return False
            self.fired += 1
            return True
        if self.count is not None and self.count <= 0:
            return False
        if self.after > 0:
            self.after -= 1
            return False
        if self.rate is not None and rng.random() >= float(self.rate):
            return False
        if self.count is not None:
            self.count -= 1
        self.fired += 1
        return True

    def dump(self):
        d = dict(self.spec)
        d["fired"] = self.fired
        if self.count is not None:
            d["remaining"] = self.count
        if self.kind == "bucket":
            d["tokens"] = round(self.tokens, 3)
        return d


class Sim:
    def __init__(self, region, seed=None, boot_mode=False):
        self.lock = threading.RLock()
        self.region = region
        self.boot_mode = boot_mode
        self.seed = seed
        self.reset()

    def reset(self, seed=None):
        with self.lock:
            if seed is not None:
                self.seed = seed
            self.rng = random.Random(self.seed)
            self.clock = float(int(time.time()))
            self.limits = {"vcpus": 10000, "vcpus_g": 10000, "vcpus_p": 10000}
            self.pending_seconds = 30.0
            self.shutdown_seconds = 30.0
            self.stop_seconds = None        # ec2power: shutdown_seconds
            self.hibernate_ready = 120.0    # ec2power: agent ready after
            self.calls = collections.Counter()
            self.requests = {}
            self.faults = []
            self.creds = {DEFAULT_AKID: (DEFAULT_SECRET, None, None)}
            self.ec2 = ec2.Ec2State(self)
            self.svc = services.ServiceState(self)
            self.fsx = fsx.FsxState(self)
            self.opensearch = opensearch.OpenSearchState()
            self.ses = sesv2.SesState()
            self.elbv2 = None       # elbv2.py, made on first use
            self.iam = None         # iam.py, likewise
            self.imds = {"instance_id": None, "role": "soca-test-role",
                         "credentials_ttl": 21600, "tokens": {},
                         "issued": None, "http_tokens": "required",
                         "token_status": 200}

    def now(self):
        return self.clock

    def hexid(self, prefix, n=17):
        return "%s-%0*x" % (prefix, n, self.rng.getrandbits(4 * n))

    def request_id(self):
        # not from self.rng: ids stay reproducible under --seed
        return str(uuid.uuid4())

    # -- faults --

    def add_fault(self, spec):
        f = Fault(spec)
        with self.lock:
            self.faults.append(f)
        return f

    def pre_faults(self, service, op):
        """Faults applied before the handler, in order.  Returns
        (latency seconds, action) with action None, "drop", "lost",
        ("garbage", status, body) or (code, status, message)."""
        key = "%s:%s" % (service, op)
        delay = 0.0
        with self.lock:
            for f in self.faults:
                if f.kind == "capacity" or not f.matches(key):
                    continue
                if not f.take(self.rng):
                    continue
                if f.kind == "latency":
                    delay += f.latency
                    continue
                if f.kind in ("drop", "lost"):
                    return delay, f.kind
                if f.kind == "garbage":
                    if f.body is not None:
                        body = f.body.encode("utf-8")
                    else:
                        body = GARBAGE[(f.fired - 1) % len(GARBAGE)]
                    return delay, ("garbage", f.status or 200, body)
                if f.kind in ("throttle", "bucket"):
                    code, status, msg = THROTTLE.get(service, THROTTLE["*"])
                else:
                    status = f.status or 500
                    table = UNAVAILABLE if status == 503 else INTERNAL
                    code, msg = table.get(service, table["*"])
                return delay, (f.code or code, f.status or status,
                               f.message or msg)
        return delay, None

    def capacity_fault(self, key, itype, az):
        with self.lock:
            for f in self.faults:
                if f.kind != "capacity" or not f.matches(key):
                    continue
                if f.instance_type not in (None, itype):
                    continue
                if f.az not in (None, az):
                    continue
                if f.take(self.rng):
                    return f
        return None
