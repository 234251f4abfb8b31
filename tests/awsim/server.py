# server.py: the HTTP front of awsim: one loopback port for every AWS
# service, IMDSv2 and the control endpoint.
#
# A request is routed in this order: /_awsim/... -> control (unsigned JSON,
# loopback only); signed (Authorization header or X-Amz-Signature query)
# -> the service named in the credential scope; unsigned /latest/... ->
# IMDSv2; anything else unsigned -> the protocol's missing-auth error.
# A signed call is then: identify the operation, count it (counts include
# calls that fail later), verify the signature with botocore (sigv4.py),
# check the operation exists in the model, apply injected faults, parse
# and validate parameters against the model (wire.py), run the handler
# under the state lock and serialise the answer in the protocol's format.
# HTTP/1.1 keep-alive is supported; every answer carries Content-Length.
# Nagle's algorithm is off on every connection: http.server writes the
# headers and the body of an answer separately, and with Nagle on the
# body waited for the client's delayed ACK (40 ms a call on loopback).

import base64
import datetime
import json
import re
import secrets
import socket
import sys
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import billing
import ec2
import ec2data
import fsx
import elbv2
import iam
import pricing
import opensearch
import quotas
import sesv2
import services
import sigv4
import wire
from sigv4 import AuthError
from wire import AwsError, DropConnection

SERVICES = {
    "ec2": {"protocol": "ec2", "handlers": ec2.HANDLERS},
    "ce": {"protocol": "json", "handlers": billing.CE_HANDLERS,
           "region": "us-east-1"},
    "budgets": {"protocol": "json", "handlers": billing.BUDGETS_HANDLERS,
                "region": "us-east-1"},
    "s3": {"protocol": "s3", "handlers": services.S3_HANDLERS},
    "pricing": {"protocol": "json", "handlers": pricing.PRICING_HANDLERS,
                "region": "us-east-1"},
    "servicequotas": {"protocol": "json", "handlers": quotas.HANDLERS,
                      "model": "service-quotas"},
    "fsx": {"protocol": "json", "handlers": fsx.HANDLERS},
    # Amazon OpenSearch Service domains: the signing name of botocore's
    # "opensearch" model; the REST data plane is opensearch.py's
    "es": {"protocol": "opensearch", "handlers": opensearch.HANDLERS,
           "model": "opensearch"},
    # SES v2 (REST-JSON; the v1 query API shares the signing name)
    "ses": {"protocol": "rest-json", "handlers": sesv2.HANDLERS,
            "model": "sesv2"},
    "elasticloadbalancing": {"protocol": "query", "handlers": elbv2.HANDLERS,
                             "model": "elbv2"},
    "iam": {"protocol": "query", "handlers": iam.HANDLERS,
            "region": "us-east-1"},
}

# auth failure kind -> (code, status) per protocol
AUTH_CODES = {
    "ec2": {"missing": ("AuthFailure", 401),
            "malformed": ("IncompleteSignature", 400),
            "unknown_key": ("AuthFailure", 401),
            "bad_token": ("AuthFailure", 401),
            "expired_token": ("RequestExpired", 400),
            "signature": ("SignatureDoesNotMatch", 403),
            "skew": ("RequestExpired", 400),
            "expired": ("RequestExpired", 400),
            "region": ("AuthFailure", 401)},
    "json": {"missing": ("MissingAuthenticationTokenException", 400),
             "malformed": ("IncompleteSignatureException", 400),
             "unknown_key": ("UnrecognizedClientException", 403),
             "bad_token": ("UnrecognizedClientException", 403),
             "expired_token": ("ExpiredTokenException", 403),
             "signature": ("InvalidSignatureException", 403),
             "skew": ("InvalidSignatureException", 403),
             "expired": ("InvalidSignatureException", 403),
             "region": ("InvalidSignatureException", 403)},
    "query": {"missing": ("MissingAuthenticationToken", 403),
              "malformed": ("IncompleteSignature", 400),
              "unknown_key": ("InvalidClientTokenId", 403),
              "bad_token": ("InvalidClientTokenId", 403),
              "expired_token": ("ExpiredToken", 403),
              "signature": ("SignatureDoesNotMatch", 403),
              "skew": ("SignatureDoesNotMatch", 403),
              "expired": ("SignatureDoesNotMatch", 403),
              "region": ("SignatureDoesNotMatch", 403)},
    "s3": {"missing": ("AccessDenied", 403),
           "malformed": ("AuthorizationHeaderMalformed", 400),
           "unknown_key": ("InvalidAccessKeyId", 403),
           "bad_token": ("InvalidToken", 400),
           "expired_token": ("ExpiredToken", 400),
           "signature": ("SignatureDoesNotMatch", 403),
           "skew": ("RequestTimeTooSkewed", 403),
           "expired": ("AccessDenied", 403),
           "region": ("AuthorizationHeaderMalformed", 400),
           "content_sha256": ("XAmzContentSHA256Mismatch", 400)},
    "rest-json": {"missing": ("MissingAuthenticationTokenException", 403),
                  "malformed": ("IncompleteSignatureException", 400),
                  "unknown_key": ("UnrecognizedClientException", 403),
                  "bad_token": ("UnrecognizedClientException", 403),
                  "expired_token": ("ExpiredTokenException", 403),
                  "signature": ("SignatureDoesNotMatchException", 403),
                  "skew": ("InvalidSignatureException", 403),
                  "expired": ("InvalidSignatureException", 403),
                  "region": ("InvalidSignatureException", 403)},
    "opensearch": {"missing": ("security_exception", 401),
                   "malformed": ("security_exception", 403),
                   "unknown_key": ("security_exception", 403),
                   "bad_token": ("security_exception", 403),
                   "expired_token": ("security_exception", 403),
                   "signature": ("security_exception", 403),
                   "skew": ("security_exception", 403),
                   "expired": ("security_exception", 403),
                   "region": ("security_exception", 403),
                   "basic": ("security_exception", 401)},
}

IMDS_MAX_TTL = 21600
IMDS_INSTANCE = re.compile(r"^/(i-[0-9a-f]+)/latest/")

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "awsim"
    sys_version = ""

    def version_string(self):
        return "awsim"

    def log_message(self, fmt, *args):
        sys.stderr.write("awsim: %s %s\n" % (self.address_string(),
                                              fmt % args))

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = \
        lambda self: self.dispatch()

    @property
    def sim(self):
        return self.server.sim

    # ---- plumbing ----

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def send(self, status, headers, body):
        self.send_response(status)
        has_len = False
        for k, v in headers.items():
            self.send_header(k, v)
            has_len |= k.lower() == "content-length"
        if not has_len:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    xmlns = ""      # the query protocol's, set per request

    def send_error_for(self, proto, err):
        rid = self.rid
        if proto == "json":
            self.send(err.status, {
                "Content-Type": "application/x-amz-json-1.1",
                "x-amzn-RequestId": rid}, wire.json_error(err))
        elif proto == "rest-json":
            self.send(err.status, {
                "Content-Type": "application/json",
                "x-amzn-ErrorType": err.code,
                "x-amzn-RequestId": rid}, wire.json_error(err))
        elif proto == "opensearch":
            self.send(err.status, {"Content-Type": "application/json; "
                                   "charset=UTF-8"},
                      opensearch.error_body(err.code, err.message,
                                            err.status))
        elif proto == "s3":
            self.send(err.status, {"Content-Type": "application/xml",
                                   "x-amz-request-id": rid,
                                   "x-amz-id-2": "awsim"},
                      wire.s3_error(err, rid))
        elif proto == "query":
            self.send(err.status, {"Content-Type": "text/xml",
                                   "x-amzn-RequestId": rid},
                      wire.query_error(err, rid, self.xmlns))
        else:
            self.send(err.status, {"Content-Type": "text/xml;charset=UTF-8"},
                      wire.ec2_error(err, rid))

    def drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def send_json(self, status, obj):
        self.send(status, {"Content-Type": "application/json"},
                  (json.dumps(obj, indent=None) + "\n").encode())

    # ---- routing ----

    def dispatch(self):
        self.rid = self.sim.request_id()
        raw_path, _, raw_query = self.path.partition("?")
        try:
            body = self.read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self.send(400, {}, b"bad body\n")
            return
        if raw_path.startswith("/_awsim/") or raw_path == "/_awsim":
            return self.control(raw_path, raw_query, body)
        qp = sigv4.query_pairs(raw_query)
        if self.headers.get("Authorization", "").startswith("Basic "):
            return self.opensearch_basic(raw_path, qp, body)
        try:
            auth = sigv4.parse(self.headers, qp)
        except AuthError as e:
            proto = self.guess_protocol(body)
            code, status = AUTH_CODES[proto][e.kind]
            return self.send_error_for(proto, AwsError(code, e.message,
                                                       status))
        if auth is None:
            m = IMDS_INSTANCE.match(raw_path)
            if m:   # boot mode: /i-ID/latest/... is that instance's IMDS
                self.imds_iid = m.group(1)
                return self.imds(raw_path[len(m.group(1)) + 1:])
            if raw_path.startswith("/latest/"):
                return self.imds(raw_path)
            proto = self.guess_protocol(body)
            code, status = AUTH_CODES[proto]["missing"]
            return self.send_error_for(proto, AwsError(
                code, "Request is missing Authentication Token", status))
        try:
            self.aws(auth, raw_path, raw_query, qp, body)
        except DropConnection:
            self.drop()

    def guess_protocol(self, body):
        if "ndjson" in self.headers.get("Content-Type", "") or \
                re.search(r"/_(bulk|index_template|doc|count)\b", self.path):
            return "opensearch"
        if self.headers.get("X-Amz-Target"):
            return "json"
        if self.command == "POST" and body.startswith(b"Action="):
            return "ec2"
        if "Action=" in self.path:
            return "ec2"
        return "s3"

    def aws(self, auth, raw_path, raw_query, qp, body):
        sim = self.sim
        svc = SERVICES.get(auth.service)
        if svc is None:
            return self.send_error_for(self.guess_protocol(body), AwsError(
                "UnknownService",
                "awsim does not serve the signing name '%s'"
                % auth.service, 400))
        proto = svc["protocol"]
        mdl = wire.model(svc.get("model", auth.service))
        self.xmlns = mdl.metadata.get("xmlNamespace", "")
        try:
            op, args = self.identify(proto, mdl, raw_path, qp, body)
        except AwsError as e:
            return self.send_error_for(proto, e)
        with sim.lock:
            sim.calls["%s:%s" % (auth.service, op)] += 1
        try:
            host = self.headers.get("Host", "")
            with sim.lock:
                creds = dict(sim.creds)
            sigv4.verify(auth, creds, self.command, raw_path, qp,
                         self.headers, body, host,
                         svc.get("region", sim.region), time.time())
        except AuthError as e:
            code, status = AUTH_CODES[proto].get(
                e.kind, AUTH_CODES[proto]["signature"])
            if e.kind == "content_sha256" and "Missing" in e.message:
                code = "InvalidRequest"
            extra = {}
            if e.canonical_request is not None:
                sys.stderr.write("awsim: %s signature mismatch; expected "
                                 "canonical request:\n%s\nstring to sign:"
                                 "\n%s\n" % (auth.service,
                                               e.canonical_request,
                                               e.string_to_sign))
                if proto == "s3":
                    extra = {"AWSAccessKeyId": auth.akid,
                             "StringToSign": e.string_to_sign,
                             "SignatureProvided": auth.signature,
                             "CanonicalRequest": e.canonical_request}
            return self.send_error_for(proto, AwsError(code, e.message,
                                                       status, **extra))
        try:
            self.call(auth.service, svc, mdl, op, args)
        except AwsError as e:
            self.send_error_for(proto, e)
        except DropConnection:
            raise
        except Exception:
            traceback.print_exc()
            self.send_error_for(proto, AwsError(
                "InternalError" if proto != "json" else "InternalFailure",
                "awsim failed: %s" % sys.exc_info()[1], 500))

    def identify(self, proto, mdl, raw_path, qp, body):
        if proto in ("ec2", "query"):
            flat = {}
            ctype = self.headers.get("Content-Type", "")
            if body and ctype.startswith("application/x-www-form-urlencoded"):
                flat.update(sigv4.query_pairs(body.decode("utf-8",
                                                          "replace")))
            for k, v in qp:
                if not k.startswith("X-Amz-"):
                    flat[k] = v
            op = flat.pop("Action", None)
            if op is None:
                raise AwsError("MissingAction", "The request must contain "
                               "the parameter Action")
            return op, flat
        if proto == "json":
            target = self.headers.get("X-Amz-Target", "")
            prefix, _, op = target.rpartition(".")
            if prefix != mdl.metadata.get("targetPrefix") or not op:
                raise AwsError("UnknownOperationException", "Unknown "
                               "operation %s" % target)
            ctype = self.headers.get("Content-Type", "")
            if not ctype.startswith("application/x-amz-json-1."):
                raise AwsError("UnknownOperationException", "Unsupported "
                               "Content-Type '%s'" % ctype)
            return op, body
        if proto == "rest-json":
            for name in mdl.operation_names:
                http = mdl.operation_model(name).http
                if http.get("method") == self.command and \
                        http.get("requestUri", "").split("?")[0] == raw_path:
                    return name, body
            raise AwsError("UnknownOperationException", "no %s operation "
                           "for %s %s" % (mdl.service_name, self.command,
                                          raw_path), 404)
        if proto == "opensearch":
            op, index, did = opensearch.route(self.command, raw_path)
            return op, {"index": index, "id": did, "body": body,
                        "headers": self.headers}
        op, bucket, key = services.s3_route(self.command, raw_path, qp,
                                            self.headers)
        return op or "Unknown", {"bucket": bucket, "key": key, "body": body,
                                 "query": [(k, v) for k, v in qp
                                           if not k.startswith("X-Amz-")],
                                 "headers": self.headers}

    def call(self, service, svc, mdl, op, args):
        sim = self.sim
        proto = svc["protocol"]
        handler = svc["handlers"].get(op)
        if proto == "ec2":
            if op not in mdl.operation_names:
                raise AwsError("InvalidAction", "The action %s is not valid "
                               "for this web service." % op)
            if "Version" not in args:
                raise AwsError("MissingParameter", "The request must contain "
                               "the parameter Version")
            args.pop("Version")
        elif proto == "query":
            if op not in mdl.operation_names:
                raise AwsError("InvalidAction", "Could not find operation "
                               "%s for version %s" % (
                                   op, mdl.metadata["apiVersion"]))
            if args.pop("Version", None) != mdl.metadata["apiVersion"]:
                raise AwsError("InvalidAction", "Could not find operation "
                               "%s for this version" % op)
        elif proto in ("json", "rest-json"):
            if op not in mdl.operation_names:
                raise AwsError("UnknownOperationException", "Unknown "
                               "operation %s" % op)
        elif handler is None:
            raise AwsError("NotImplemented", "A header you provided implies "
                           "functionality that is not implemented", 501)
        if handler is None:
            raise AwsError("InvalidAction" if proto == "ec2" else
                           "UnknownOperationException",
                           "awsim does not implement %s:%s" % (service, op))
        delay, action = sim.pre_faults(service, op)
        if delay:
            time.sleep(delay)
        if action == "drop":
            raise DropConnection()
        if action not in (None, "lost") and action[0] == "garbage":
            ctype = {"json": "application/x-amz-json-1.1",
                     "s3": "application/xml"}.get(proto, "text/xml")
            return self.send(action[1], {"Content-Type": ctype}, action[2])
        if action not in (None, "lost"):
            code, status, msg = action
            raise AwsError(code, msg, status)
        if proto in ("s3", "opensearch"):
            with sim.lock:
                status, headers, body = handler(sim, args)
            if action == "lost":
                raise DropConnection()
            headers = dict(headers)
            headers.setdefault("x-amz-request-id", self.rid)
            headers.setdefault("x-amz-id-2", "awsim")
            return self.send(status, headers, body)
        om = mdl.operation_model(op)
        if proto == "ec2":
            params = wire.ec2_params(om, args)
        elif proto == "query":
            params = wire.query_params(om, args)
        else:
            params = wire.json_params(om, args)
        with sim.lock:
            log = sim.requests.setdefault("%s:%s" % (service, op), [])
            log.append(json.loads(json.dumps(params, default=str)))
            del log[:-50]
            if params.get("DryRun") and not getattr(handler, "dry_run",
                                                     False):
                raise AwsError("DryRunOperation", "Request would have "
                               "succeeded, but DryRun flag is set.", 412)
            result = handler(sim, params)
            if proto == "ec2":
                body = wire.ec2_response(om, result, self.rid)
            elif proto == "query":
                body = wire.query_response(om, result, self.rid,
                                           self.xmlns)
            else:
                body = wire.json_response(om, result)
        if action == "lost":    # it happened; the answer never arrives
            raise DropConnection()
        if proto in ("ec2", "query"):
            self.send(200, {"Content-Type": "text/xml;charset=UTF-8"}, body)
        elif proto == "rest-json":
            self.send(200, {"Content-Type": "application/json",
                            "x-amzn-RequestId": self.rid}, body)
        else:
            self.send(200, {"Content-Type": "application/x-amz-json-1.1",
                            "x-amzn-RequestId": self.rid}, body)

    def opensearch_basic(self, raw_path, qp, body):
        """A self-managed cluster's HTTP basic auth, on the es routes."""
        import base64
        sim = self.sim
        op, index, did = opensearch.route(self.command, raw_path)
        with sim.lock:
            sim.calls["es-basic:%s" % op] += 1
            want = sim.opensearch.basic
        try:
            got = base64.b64decode(self.headers["Authorization"][6:],
                                   validate=True).decode()
        except ValueError:
            got = None
        if got != want:
            return self.send_error_for("opensearch", AwsError(
                "security_exception", "missing authentication credentials "
                "for REST request [%s]" % raw_path, 401))
        try:
            self.call("es", SERVICES["es"], None, op,
                      {"index": index, "id": did, "body": body,
                       "headers": self.headers})
        except AwsError as e:
            self.send_error_for("opensearch", e)

    # ---- IMDSv2 ----

    def imds(self, path):
        sim = self.sim
        if self.command == "PUT" and path == "/latest/api/token":
            with sim.lock:
                sim.calls["imds:PutToken"] += 1
            if self.headers.get("X-Forwarded-For"):
                return self.send(403, {}, b"Forbidden")
            if sim.imds["token_status"] != 200:
                st = sim.imds["token_status"]
                return self.send(st, {"Content-Type": "text/plain"},
                                 b"IMDSv2 token refused by awsim\n")
            ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
            try:
                ttl = int(ttl)
            except (TypeError, ValueError):
                return self.send(400, {"Content-Type": "text/plain"},
                                 b"Bad Request")
            if not 1 <= ttl <= IMDS_MAX_TTL:
                return self.send(400, {"Content-Type": "text/plain"},
                                 b"Bad Request")
            tok = secrets.token_urlsafe(42)
            with sim.lock:
                sim.imds["tokens"][tok] = time.time() + ttl
            return self.send(200, {
                "Content-Type": "text/plain",
                "X-aws-ec2-metadata-token-ttl-seconds": str(ttl)},
                tok.encode())
        if self.command not in ("GET", "HEAD"):
            return self.send(405, {"Allow": "GET, HEAD, PUT"}, b"")
        with sim.lock:
            sim.calls["imds:Get"] += 1
            tok = self.headers.get("X-aws-ec2-metadata-token")
            exp = sim.imds["tokens"].get(tok) if tok else None
            v1 = tok is None and sim.imds["http_tokens"] == "optional"
            if not v1 and (exp is None or exp < time.time()):
                return self.send(401, {"Content-Type": "text/plain"},
                                 b"Unauthorized")
            doc = self.imds_answer(path)
        if doc is None:
            return self.send(404, {"Content-Type": "text/plain"},
                             b"Not Found")
        ctype = "application/json" if isinstance(doc, dict) else "text/plain"
        if isinstance(doc, dict):
            doc = json.dumps(doc, indent=2)
        if isinstance(doc, str):
            doc = doc.encode()
        self.send(200, {"Content-Type": ctype}, doc)

    def imds_identity(self):
        sim = self.sim
        iid = getattr(self, "imds_iid", None) or sim.imds["instance_id"] \
            or "i-0123456789abcdef0"
        inst = sim.ec2.instances.get(iid)
        if inst is None:
            return {"id": iid, "az": sim.region + "a", "type": "m5.large",
                    "ami": ec2data.image_ids()[0], "ip": "172.31.0.2",
                    "index": 0, "launch": sim.now(), "user_data": None}
        return inst

    def imds_creds(self):
        sim = self.sim
        now = time.time()
        cur = sim.imds["issued"]
        if cur is None or now > cur["expiry"] - 300:
            ttl = sim.imds["credentials_ttl"]
            cur = {"akid": "ASIA" + secrets.token_hex(8).upper(),
                   "secret": secrets.token_urlsafe(30),
                   "token": "IQoJawsim" + secrets.token_urlsafe(96),
                   "expiry": now + ttl, "issued": now}
            sim.imds["issued"] = cur
            sim.creds[cur["akid"]] = (cur["secret"], cur["token"],
                                      cur["expiry"])

        def iso(t):
            return datetime.datetime.fromtimestamp(
                int(t), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"Code": "Success", "LastUpdated": iso(cur["issued"]),
                "Type": "AWS-HMAC", "AccessKeyId": cur["akid"],
                "SecretAccessKey": cur["secret"], "Token": cur["token"],
                "Expiration": iso(cur["expiry"])}

    def imds_answer(self, path):
        sim = self.sim
        i = self.imds_identity()
        role = sim.imds["role"]
        md = {
            "ami-id": i["ami"], "ami-launch-index": str(i["index"]),
            "instance-id": i["id"], "instance-type": i["type"],
            "local-ipv4": i["ip"],
            "local-hostname": "ip-%s.ec2.internal" % i["ip"].replace(".",
                                                                     "-"),
            "hostname": "ip-%s.ec2.internal" % i["ip"].replace(".", "-"),
            "placement/availability-zone": i["az"],
            "placement/availability-zone-id": ec2data.zone_id(sim.region,
                                                              i["az"]),
            "placement/region": sim.region,
        }
        it = i.get("interrupt")
        if it:
            t = datetime.datetime.fromtimestamp(
                it["time"], datetime.timezone.utc).strftime(
                    "%Y-%m-%dT%H:%M:%SZ")
            md["spot/instance-action"] = {"action": it["action"], "time": t}
            md["spot/termination-time"] = t
        if path == "/latest/meta-data" or path == "/latest/meta-data/":
            return "\n".join(sorted({k.split("/")[0] + ("/" if "/" in k
                                                        else "")
                                     for k in md} | {"iam/"}))
        if path.startswith("/latest/meta-data/"):
            key = path[len("/latest/meta-data/"):]
            if key in md:
                return md[key]
            if key.startswith("tags/instance") and i.get("md_tags"):
                # InstanceMetadataTags = enabled: the instance's tags
                tags = i.get("tags") or {}
                name = key[len("tags/instance"):].lstrip("/")
                if not name:
                    return "\n".join(sorted(tags))
                return tags.get(name)
            if key in ("placement", "placement/"):
                return "availability-zone\navailability-zone-id\nregion"
            if key in ("spot", "spot/") and it:
                return "instance-action\ntermination-time"
            if key in ("iam", "iam/"):
                return "info\nsecurity-credentials/"
            if key == "iam/info":
                return {"Code": "Success", "LastUpdated": "",
                        "InstanceProfileArn":
                        "arn:aws:iam::%s:instance-profile/%s"
                        % (ec2data.ACCOUNT, role),
                        "InstanceProfileId": "AIPAAWSIMAWSIMAWSIM"}
            if key == "iam/security-credentials/" or \
                    key == "iam/security-credentials":
                return role
            if key == "iam/security-credentials/" + role:
                return self.imds_creds()
            return None
        if path == "/latest/dynamic/instance-identity/document":
            launch = datetime.datetime.fromtimestamp(
                i["launch"], datetime.timezone.utc).strftime(
                    "%Y-%m-%dT%H:%M:%SZ")
            return {"accountId": ec2data.ACCOUNT,
                    "architecture": "x86_64",
                    "availabilityZone": i["az"], "imageId": i["ami"],
                    "instanceId": i["id"], "instanceType": i["type"],
                    "pendingTime": launch, "privateIp": i["ip"],
                    "region": sim.region, "version": "2017-09-30",
                    "billingProducts": None, "devpayProductCodes": None,
                    "marketplaceProductCodes": None, "kernelId": None,
                    "ramdiskId": None}
        if path == "/latest/user-data":
            import base64
            if not i.get("user_data"):
                return None
            return base64.b64decode(i["user_data"])
        return None

    # ---- control endpoint ----

    def control(self, path, raw_query, body):
        if self.client_address[0] not in ("127.0.0.1", "::1"):
            return self.send_json(403, {"error": "loopback only"})
        q = dict(urllib.parse.parse_qsl(raw_query))
        try:
            req = json.loads(body) if body.strip() else {}
        except ValueError as e:
            return self.send_json(400, {"error": "bad JSON: %s" % e})
        name = path[len("/_awsim/"):].strip("/")
        fn = getattr(self, "ctl_%s_%s" % (name, self.command.lower()), None)
        if fn is None:
            return self.send_json(404, {"error": "no control %s %s"
                                        % (self.command, path)})
        sim = self.sim
        try:
            with sim.lock:
                status, out = fn(req, q)
        except (ValueError, TypeError, KeyError) as e:
            return self.send_json(400, {"error": str(e)})
        self.send_json(status, out)

    def ctl_calls_get(self, req, q):
        sim = self.sim
        if q.get("effect"):
            return self.ctl_launches_get(req, q)
        if q.get("op"):
            return 200, {q["op"]: sim.calls.get(q["op"], 0)}
        return 200, dict(sim.calls)

    def ctl_requests_get(self, req, q):
        sim = self.sim
        if q.get("op"):
            return 200, {q["op"]: sim.requests.get(q["op"], [])}
        return 200, dict(sim.requests)

    def ctl_launches_get(self, req, q):
        st = self.sim.ec2
        return 200, {"by_token": dict(st.launches),
                     "reservations": len(st.reservations),
                     "instances": len(st.instances)}

    def ctl_reset_post(self, req, q):
        self.sim.reset(seed=req.get("seed"))
        self.sim.boot_delay = getattr(self.sim, "boot_delay_arg", 0.0)
        return 200, {"reset": True}

    def ctl_bootdelay_get(self, req, q):
        return 200, {"seconds": getattr(self.sim, "boot_delay", 0.0)}

    def ctl_bootdelay_post(self, req, q):
        if set(req) != {"seconds"}:
            raise ValueError("bootdelay takes {\"seconds\": S}")
        d = float(req["seconds"])
        if d < 0:
            raise ValueError("seconds must be >= 0")
        self.sim.boot_delay = d
        return 200, {"seconds": d}

    def ctl_faults_post(self, req, q):
        specs = req if isinstance(req, list) else [req]
        for s in specs:
            if not isinstance(s, dict):
                raise ValueError("a fault is a JSON object")
            self.sim.add_fault(s)
        return 200, [f.dump() for f in self.sim.faults]

    def ctl_faults_get(self, req, q):
        return 200, [f.dump() for f in self.sim.faults]

    def ctl_faults_delete(self, req, q):
        self.sim.faults = []
        return 200, []

    def clock_out(self):
        sim = self.sim
        return {"now": sim.clock, "iso": wire.iso(sim.clock),
                "pending_seconds": sim.pending_seconds,
                "shutdown_seconds": sim.shutdown_seconds}

    def ctl_clock_get(self, req, q):
        return 200, self.clock_out()

    def ctl_clock_post(self, req, q):
        sim = self.sim
        if "set" in req:
            sim.clock = float(req["set"])
        if "advance" in req:
            adv = float(req["advance"])
            if adv < 0:
                raise ValueError("advance must be >= 0")
            sim.clock += adv
        sim.ec2.tick()
        for k in ("pending_seconds", "shutdown_seconds"):
            if k in req:
                setattr(sim, k, float(req[k]))
        for k in ("stop_seconds", "hibernate_ready"):   # ec2power.py
            if k in req:
                setattr(sim, k, float(req[k]))
        return 200, self.clock_out()

    def ctl_interrupt_post(self, req, q):
        if "instance_id" not in req:
            raise ValueError("instance_id is required")
        return 200, ec2.interrupt(self.sim, req["instance_id"],
                                  req.get("notice_seconds", 120))

    def ctl_state_get(self, req, q):
        sim = self.sim
        out = {"now": sim.clock, "region": sim.region,
               "instances": sim.ec2.dump(),
               "launches": self.ctl_launches_get(req, q)[1],
               "fleets": list(getattr(sim.ec2, "fleet_requests", [])),
               "imds": self.imds_out(), "boot_mode": sim.boot_mode}
        out.update(sim.svc.dump())
        out.update(sim.fsx.dump())
        return 200, out

    def ctl_fsx_get(self, req, q):
        return 200, self.sim.fsx.dump()["fsx"]

    def ctl_fsx_post(self, req, q):
        return 200, self.sim.fsx.control(req)["fsx"]

    def ctl_elbv2_get(self, req, q):
        return 200, elbv2._st(self.sim).dump()

    def ctl_elbv2_post(self, req, q):
        st = elbv2._st(self.sim)
        for k in ("rule_limit", "page_size"):
            if k in req:
                setattr(st, k, int(req[k]))
        return 200, st.dump()

    def ctl_iam_get(self, req, q):
        return 200, iam.st(self.sim).dump()

    def ctl_iam_post(self, req, q):
        s = iam.st(self.sim)
        s.profiles.update(req.get("profiles", {}))
        s.policies.update(req.get("policies", {}))
        return 200, s.dump()

    def imds_out(self):
        m = self.sim.imds
        return {k: m[k] for k in ("instance_id", "role", "credentials_ttl",
                                  "http_tokens", "token_status")}

    def ctl_imds_get(self, req, q):
        return 200, self.imds_out()

    def ctl_imds_post(self, req, q):
        m = self.sim.imds
        known = {"instance_id", "role", "credentials_ttl", "http_tokens",
                 "token_status", "rotate"}
        if set(req) - known:
            raise ValueError("unknown imds keys: %s (known: %s)" % (
                ", ".join(sorted(set(req) - known)),
                ", ".join(sorted(known))))
        if req.get("http_tokens", "required") not in ("required",
                                                      "optional"):
            raise ValueError("http_tokens is required or optional")
        if "token_status" in req and req["token_status"] not in (
                200, 400, 403, 404, 405, 500, 503):
            raise ValueError("token_status must be 200, 400, 403, 404, "
                             "405, 500 or 503")
        for k in ("instance_id", "role", "credentials_ttl", "http_tokens",
                  "token_status"):
            if k in req:
                m[k] = req[k]
        if "credentials_ttl" in req:
            m["credentials_ttl"] = int(req["credentials_ttl"])
            m["issued"] = None
        if req.get("rotate"):
            m["issued"] = None
        return 200, self.imds_out()

    def ctl_limits_get(self, req, q):
        return 200, self.sim.limits

    def ctl_limits_post(self, req, q):
        for k, v in req.items():
            if k not in self.sim.limits:
                raise ValueError("unknown limit %s (known: %s)" % (
                    k, ", ".join(self.sim.limits)))
            if not isinstance(v, int) or v < 0:
                raise ValueError("%s must be a non-negative integer" % k)
            self.sim.limits[k] = v
        return 200, self.sim.limits

    def ctl_s3_get(self, req, q):
        if "key" in q:
            o = self.sim.svc.buckets.get(q.get("bucket"), {}).get(
                "objects", {}).get(q["key"])
            if o is None:
                return 404, {"error": "no such object"}
            return 200, {"body_b64": base64.b64encode(o["body"]).decode()}
        return 200, services.s3mp.dump(self.sim.svc)

    def ctl_s3_post(self, req, q):
        if "min_part_size" in req:
            n = req["min_part_size"]
            if not isinstance(n, int) or n < 1:
                raise ValueError("min_part_size must be a positive integer")
            self.sim.svc.min_part_size = n
        return self.ctl_s3_get(req, q)

    def ctl_budgets_post(self, req, q):
        return 200, services.set_budgets(self.sim, req)

    def ctl_budgets_get(self, req, q):
        return 200, self.sim.svc.budgets

    def ctl_costs_post(self, req, q):
        for k, v in req.items():
            datetime.date.fromisoformat(k)
            self.sim.svc.costs[k] = float(v)
        return 200, self.sim.svc.costs

    def ctl_costlag_get(self, req, q):
        svc = self.sim.svc
        return 200, {"hours": svc.lag_hours, "page_size": svc.page_size}

    def ctl_costlag_post(self, req, q):
        svc = self.sim.svc
        if set(req) - {"hours", "page_size"}:
            raise ValueError("unknown costlag keys (known: hours, "
                             "page_size)")
        if "hours" in req:
            h = float(req["hours"])
            if h < 0:
                raise ValueError("hours must be >= 0")
            svc.lag_hours = h
        if "page_size" in req:
            n = req["page_size"]
            if not isinstance(n, int) or n < 1:
                raise ValueError("page_size must be a positive integer")
            svc.page_size = n
        return self.ctl_costlag_get(req, q)

    def ctl_spot_post(self, req, q):
        for k, v in req.items():
            if k not in pricing.ON_DEMAND:
                raise ValueError("%s: no such instance type in awsim" % k)
            self.sim.svc.spot[k] = float(v)
        return 200, self.sim.svc.spot

    def ctl_ses_get(self, req, q):
        return 200, {"sent": self.sim.ses.sent}

    def ctl_opensearch_get(self, req, q):
        return 200, self.sim.opensearch.dump()

    def ctl_opensearch_post(self, req, q):
        return 200, self.sim.opensearch.control(req)

    def ctl_credentials_post(self, req, q):
        akid = req["access_key_id"]
        exp = req.get("expires_in")
        self.sim.creds[akid] = (req["secret_access_key"],
                                req.get("session_token"),
                                time.time() + float(exp) if exp else None)
        return 200, {"access_key_id": akid}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, sim):
        self.sim = sim
        if ":" in addr[0]:
            self.address_family = socket.AF_INET6
        super().__init__(addr, Handler)
