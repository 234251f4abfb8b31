# services.py: Cost Explorer, Budgets and S3 (minimal, in memory).
#
# This file keeps their state; billing.py answers CE and Budgets (JSON
# 1.1) from EC2 history and this state.  Budgets come from POST
# /_awsim/budgets: one given with a CalculatedSpend keeps it, others have
# their spend computed.  S3 is REST: s3_route() maps method + path-style
# URL to an operation name, S3_HANDLERS answer raw (status, headers, body).

import base64
import datetime

import s3mp
import wire
from wire import AwsError


class ServiceState:
    def __init__(self, sim):
        self.sim = sim
        self.budgets = []
        self.costs = {}      # "YYYY-MM-DD" -> USD for that day
        self.buckets = {}    # name -> {"created": t, "objects": {key: obj}}
        self.fixed_spend = set()  # budgets whose CalculatedSpend was given
        self.lag_hours = 0.0  # CE and Budgets report costs this late
        self.page_size = 50   # CE groups per page
        self.spot = {}       # instance type -> Spot $/h override
        self.uploads = {}    # S3 upload id -> multipart upload (s3mp.py)
        self.min_part_size = s3mp.MIN_PART

    def dump(self):
        return {"budgets": self.budgets, "costs": self.costs,
                "costlag": {"hours": self.lag_hours,
                            "page_size": self.page_size},
                "spot": self.spot,
                "buckets": {b: sorted(v["objects"])
                            for b, v in self.buckets.items()}}


def set_budgets(sim, spec):
    """spec: a list of Budget dicts (botocore shape), or {"budgets": [..]}."""
    items = spec.get("budgets") if isinstance(spec, dict) else spec
    if not isinstance(items, list):
        raise ValueError("expected a list of budgets")
    shape = wire.model("budgets").shape_for("Budget")
    out = []
    fixed = set()
    for b in items:
        if not isinstance(b, dict) or not b.get("BudgetName"):
            raise ValueError("each budget needs a BudgetName")
        full = {"BudgetType": "COST", "TimeUnit": "MONTHLY",
                "BudgetLimit": {"Amount": "100.0", "Unit": "USD"},
                "CalculatedSpend": {
                    "ActualSpend": {"Amount": "0.0", "Unit": "USD"}},
                "TimePeriod": {"Start": 1704067200, "End": 3706473600}}
        full.update(b)
        if "CalculatedSpend" in b:
            fixed.add(b["BudgetName"])
        try:
            wire._j_check(shape, full, "budget")
        except AwsError as e:
            raise ValueError(e.message)
        out.append(full)
    sim.svc.budgets = out
    sim.svc.fixed_spend = fixed
    return out


# ---- S3 (path style) ----

# query parameters each operation understands; anything else (a
# subresource such as ?acl or ?uploads) is an operation awsim lacks
_S3_QUERY = {
    "ListObjectsV2": {"list-type", "prefix", "delimiter", "max-keys",
                      "continuation-token", "start-after", "encoding-type",
                      "fetch-owner"},
    "ListObjects": {"prefix", "delimiter", "marker", "max-keys",
                    "encoding-type"},
    "CreateMultipartUpload": {"uploads"},
    "UploadPart": {"partNumber", "uploadId"},
    "CompleteMultipartUpload": {"uploadId"},
    "AbortMultipartUpload": {"uploadId"},
    "GetObject": {"response-content-type", "response-content-disposition",
                  "response-cache-control", "response-expires",
                  "response-content-encoding",
                  "response-content-language"},
}


def s3_route(method, path, query, headers=None):
    """(operation, bucket, key) from a path-style request; operation None
    when awsim does not implement what was asked."""
    from urllib.parse import unquote
    parts = path.lstrip("/").split("/", 1)
    bucket = unquote(parts[0]) if parts[0] else None
    key = unquote(parts[1]) if len(parts) > 1 and parts[1] else None
    q = {k: v for k, v in query if not k.startswith("X-Amz-")}
    if bucket is None:
        op = "ListBuckets" if method == "GET" else None
    elif key is None:
        op = {"PUT": "CreateBucket", "DELETE": "DeleteBucket",
              "HEAD": "HeadBucket"}.get(method)
        if method == "GET":
            op = "ListObjectsV2" if q.get("list-type") == "2" else \
                "ListObjects"
    else:
        op = {"PUT": "PutObject", "GET": "GetObject", "HEAD": "HeadObject",
              "DELETE": "DeleteObject"}.get(method)
        if "uploads" in q:
            op = "CreateMultipartUpload" if method == "POST" else None
        elif "uploadId" in q:
            op = {"PUT": "UploadPart" if "partNumber" in q else None,
                  "POST": "CompleteMultipartUpload",
                  "DELETE": "AbortMultipartUpload"}.get(method)
        if op == "PutObject" and headers is not None and \
                headers.get("x-amz-copy-source"):
            op = None
    if op is not None and set(q) - _S3_QUERY.get(op, set()):
        op = None
    return op, bucket, key


_bucket = s3mp.bucket


def _xml(root, d):
    return 200, {"Content-Type": "application/xml"}, wire.s3_xml(root, d)


def s3_create_bucket(sim, req):
    name = req["bucket"]
    if not 3 <= len(name) <= 63 or name != name.lower():
        raise AwsError("InvalidBucketName", "The specified bucket is not "
                       "valid.", 400, BucketName=name)
    if name in sim.svc.buckets:
        raise AwsError("BucketAlreadyOwnedByYou", "Your previous request to "
                       "create the named bucket succeeded and you already "
                       "own it.", 409, BucketName=name)
    sim.svc.buckets[name] = {"created": sim.now(), "objects": {}}
    return 200, {"Location": "/" + name}, b""


def s3_delete_bucket(sim, req):
    b = _bucket(sim, req["bucket"])
    if b["objects"]:
        raise AwsError("BucketNotEmpty", "The bucket you tried to delete is "
                       "not empty", 409, BucketName=req["bucket"])
    del sim.svc.buckets[req["bucket"]]
    return 204, {}, b""


def s3_head_bucket(sim, req):
    _bucket(sim, req["bucket"])
    return 200, {"x-amz-bucket-region": sim.region}, b""


def _object(sim, req):
    b = _bucket(sim, req["bucket"])
    o = b["objects"].get(req["key"])
    if o is None:
        raise AwsError("NoSuchKey", "The specified key does not exist.", 404,
                       Key=req["key"])
    return o


def _obj_headers(o):
    h = {"ETag": o["etag"], "Content-Type": o["type"],
         "Last-Modified": datetime.datetime.fromtimestamp(
             o["modified"], datetime.timezone.utc).strftime(
                 "%a, %d %b %Y %H:%M:%S GMT"),
         "Accept-Ranges": "bytes"}
    h.update(o["meta"])
    return h


def s3_get_object(sim, req):
    o = _object(sim, req)
    return 200, s3mp.object_headers(o, req, _obj_headers(o)), o["body"]


def s3_head_object(sim, req):
    o = _object(sim, req)
    h = s3mp.object_headers(o, req, _obj_headers(o))
    h["Content-Length"] = str(len(o["body"]))
    return 200, h, b""


def s3_delete_object(sim, req):
    b = _bucket(sim, req["bucket"])
    b["objects"].pop(req["key"], None)
    return 204, {}, b""


def s3_list_buckets(sim, req):
    return _xml("ListAllMyBucketsResult", {
        "Owner": {"ID": "awsim", "DisplayName": "awsim"},
        "Buckets": {"Bucket": [
            {"Name": n, "CreationDate": wire.iso(b["created"])}
            for n, b in sorted(sim.svc.buckets.items())]}})


def _listing(sim, req, v2):
    b = _bucket(sim, req["bucket"])
    q = dict(req["query"])
    prefix = q.get("prefix", "")
    delim = q.get("delimiter")
    try:
        mk = int(q.get("max-keys", "1000"))
    except ValueError:
        raise AwsError("InvalidArgument", "Provided max-keys not an integer "
                       "or within integer range", 400)
    after = q.get("continuation-token") if v2 else q.get("marker")
    if v2 and after:
        after = base64.b64decode(after).decode()
    if v2 and not after:
        after = q.get("start-after")
    keys = sorted(k for k in b["objects"] if k.startswith(prefix) and
                  (not after or k > after))
    contents, prefixes = [], []
    truncated, last = False, None
    for k in keys:
        if len(contents) + len(prefixes) >= mk:
            truncated = True
            break
        if delim and delim in k[len(prefix):]:
            cp = prefix + k[len(prefix):].split(delim, 1)[0] + delim
            if cp not in prefixes:
                prefixes.append(cp)
            last = k
            continue
        o = b["objects"][k]
        contents.append({"Key": k, "LastModified": wire.iso(o["modified"]),
                         "ETag": o["etag"], "Size": len(o["body"]),
                         "StorageClass": "STANDARD"})
        last = k
    from urllib.parse import quote
    enc = (lambda s: quote(s, safe="/")) if q.get("encoding-type") == "url" \
        else (lambda s: s)
    for c in contents:
        c["Key"] = enc(c["Key"])
    prefixes = [enc(p) for p in prefixes]
    d = {"Name": req["bucket"], "Prefix": enc(prefix), "MaxKeys": mk}
    if q.get("encoding-type") == "url":
        d["EncodingType"] = "url"
    if delim:
        d["Delimiter"] = delim
    d["IsTruncated"] = truncated
    if v2:
        d["KeyCount"] = len(contents) + len(prefixes)
        if q.get("continuation-token"):
            d["ContinuationToken"] = q["continuation-token"]
        if truncated:
            d["NextContinuationToken"] = base64.b64encode(
                last.encode()).decode()
    else:
        d["Marker"] = q.get("marker", "")
        if truncated:
            d["NextMarker"] = last
    d["Contents"] = contents
    d["CommonPrefixes"] = [{"Prefix": p} for p in prefixes]
    return _xml("ListBucketResult", d)


S3_HANDLERS = {
    "ListBuckets": s3_list_buckets,
    "CreateBucket": s3_create_bucket,
    "DeleteBucket": s3_delete_bucket,
    "HeadBucket": s3_head_bucket,
    "GetObject": s3_get_object,
    "HeadObject": s3_head_object,
    "DeleteObject": s3_delete_object,
    "ListObjectsV2": lambda sim, req: _listing(sim, req, True),
    "ListObjects": lambda sim, req: _listing(sim, req, False),
}
S3_HANDLERS = s3mp.install(S3_HANDLERS)

