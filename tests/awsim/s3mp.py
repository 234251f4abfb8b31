# s3mp.py: S3 multipart uploads, additional checksums, and the checks of
# every S3 request against botocore's model.
#
# install() adds CreateMultipartUpload, UploadPart, CompleteMultipartUpload
# and AbortMultipartUpload to services.S3_HANDLERS and wraps every handler
# so that, before it runs, the request's x-amz-* headers must be header
# members of the operation's input shape (besides the signing ones and
# x-amz-meta-*), its query members typed as the model says (partNumber an
# integer 1..10000), enum headers within their enum, and the body's
# Content-MD5 and x-amz-checksum-{sha256,sha1,crc32} right (BadDigest).
# Objects keep their checksum; HeadObject and GetObject return it with
# x-amz-checksum-mode: ENABLED.  A multipart object's checksum is S3's
# composite one: base64(sha256(part digests...))-N, and its ETag
# md5(part md5s...)-N.  Parts but the last must be min_part_size bytes
# (5 MiB as in S3; POST /_awsim/s3 {"min_part_size": N} for tests).

import base64
import hashlib
import secrets
import xml.etree.ElementTree as ET
import zlib

import wire
from wire import AwsError

MIN_PART = 5 * 1024 * 1024

# signed or sent by every client, not members of any input shape
_TRANSPORT = {"x-amz-date", "x-amz-content-sha256", "x-amz-security-token",
              "x-amz-decoded-content-length", "x-amz-trailer",
              "x-amz-user-agent"}

_ALGOS = {
    "sha256": lambda b: base64.b64encode(hashlib.sha256(b).digest()),
    "sha1": lambda b: base64.b64encode(hashlib.sha1(b).digest()),
    "crc32": lambda b: base64.b64encode(
        (zlib.crc32(b) & 0xffffffff).to_bytes(4, "big")),
}


def _headers_of(op):
    shape = wire.model("s3").operation_model(op).input_shape
    out, prefixes = {}, []
    for name, m in (shape.members.items() if shape else []):
        loc = m.serialization.get("location")
        if loc == "header":
            out[m.serialization["name"].lower()] = m
        elif loc == "headers":
            prefixes.append(m.serialization["name"].lower())
    return out, prefixes


def _query_of(op):
    shape = wire.model("s3").operation_model(op).input_shape
    return {m.serialization["name"]: m for m in
            (shape.members.values() if shape else [])
            if m.serialization.get("location") == "querystring"}


def check_request(op, req):
    """Raise AwsError when req does not fit op's input shape."""
    members, prefixes = _headers_of(op)
    for k, v in req["headers"].items():
        k = k.lower()
        if not k.startswith("x-amz-") or k in _TRANSPORT or \
                any(k.startswith(p) for p in prefixes):
            continue
        m = members.get(k)
        if m is None:
            raise AwsError("InvalidArgument", "%s does not take the header "
                           "%s" % (op, k), 400, ArgumentName=k)
        if m.enum and v not in m.enum:
            raise AwsError("InvalidArgument", "Value for %s header is "
                           "invalid: %s" % (k, v), 400, ArgumentName=k,
                           ArgumentValue=v)
    q = dict(req["query"])
    for name, m in _query_of(op).items():
        if name not in q:
            if name in (op_required(op)):
                raise AwsError("InvalidArgument", "%s is required" % name,
                               400, ArgumentName=name)
            continue
        if m.type_name == "integer":
            try:
                n = int(q[name])
            except ValueError:
                n = 0
            if name == "partNumber" and not 1 <= n <= 10000:
                raise AwsError("InvalidArgument", "Part number must be an "
                               "integer between 1 and 10000, inclusive",
                               400, ArgumentName=name,
                               ArgumentValue=q[name])


def op_required(op):
    shape = wire.model("s3").operation_model(op).input_shape
    req = shape.metadata.get("required", []) if shape else []
    return {shape.members[n].serialization.get("name", n) for n in req}


def verify_body(req, body):
    """Check Content-MD5 and x-amz-checksum-*; the checksums as stored."""
    h = req["headers"]
    md5 = h.get("Content-MD5")
    if md5 is not None and base64.b64encode(
            hashlib.md5(body).digest()).decode() != md5:
        raise AwsError("BadDigest", "The Content-MD5 you specified did not "
                       "match what we received.", 400)
    sums = {}
    for k, v in h.items():
        k = k.lower()
        if not k.startswith("x-amz-checksum-") or k == \
                "x-amz-checksum-algorithm" or k == "x-amz-checksum-mode":
            continue
        algo = k[len("x-amz-checksum-"):]
        fn = _ALGOS.get(algo)
        if fn is None:
            raise AwsError("NotImplemented", "awsim does not verify %s" % k,
                           501)
        if fn(body).decode() != v:
            raise AwsError("BadDigest", "The %s you specified did not match "
                           "the calculated checksum." % algo.upper(), 400)
        sums[algo] = v
    return sums


def _new_object(sim, body, etag, req, sums, parts=0, ctype=None, meta=None):
    o = {"body": body, "etag": etag, "modified": sim.now(),
         "type": ctype or req["headers"].get("Content-Type",
                                             "binary/octet-stream"),
         "meta": meta if meta is not None else
         {k.lower(): v for k, v in req["headers"].items()
          if k.lower().startswith("x-amz-meta-")},
         "checksum": sums, "parts": parts}
    return o


def put_object(sim, req):
    b = bucket(sim, req["bucket"])
    body = req["body"]
    sums = verify_body(req, body)
    etag = '"%s"' % hashlib.md5(body).hexdigest()
    b["objects"][req["key"]] = _new_object(sim, body, etag, req, sums)
    h = {"ETag": etag}
    for a, v in sums.items():
        h["x-amz-checksum-" + a] = v
    return 200, h, b""


def object_headers(o, req, h):
    """Checksum headers for HeadObject/GetObject when asked for."""
    if req["headers"].get("x-amz-checksum-mode", "") != "ENABLED":
        return h
    for a, v in o.get("checksum", {}).items():
        h["x-amz-checksum-" + a] = v
    if o.get("checksum"):
        h["x-amz-checksum-type"] = "COMPOSITE" if o.get("parts") else \
            "FULL_OBJECT"
    if o.get("parts"):
        h["x-amz-mp-parts-count"] = str(o["parts"])
    return h


def bucket(sim, name):
    """The named bucket, or S3's NoSuchBucket (services.py uses it too)."""
    b = sim.svc.buckets.get(name)
    if b is None:
        raise AwsError("NoSuchBucket", "The specified bucket does not exist",
                       404, BucketName=name)
    return b


def _upload(sim, req):
    u = sim.svc.uploads.get(dict(req["query"]).get("uploadId", ""))
    if u is None or u["bucket"] != req["bucket"] or u["key"] != req["key"]:
        raise AwsError("NoSuchUpload", "The specified upload does not "
                       "exist. The upload ID may be invalid, or the upload "
                       "may have been aborted or completed.", 404,
                       UploadId=dict(req["query"]).get("uploadId", ""))
    return u


def create_upload(sim, req):
    bucket(sim, req["bucket"])
    uid = secrets.token_urlsafe(48)
    algo = req["headers"].get("x-amz-checksum-algorithm")
    sim.svc.uploads[uid] = {
        "bucket": req["bucket"], "key": req["key"], "parts": {},
        "algo": algo.lower() if algo else None, "initiated": sim.now(),
        "type": req["headers"].get("Content-Type", "binary/octet-stream"),
        "meta": {k.lower(): v for k, v in req["headers"].items()
                 if k.lower().startswith("x-amz-meta-")}}
    h = {"Content-Type": "application/xml"}
    if algo:
        h["x-amz-checksum-algorithm"] = algo
    return 200, h, wire.s3_xml("InitiateMultipartUploadResult", {
        "Bucket": req["bucket"], "Key": req["key"], "UploadId": uid})


def upload_part(sim, req):
    u = _upload(sim, req)
    n = int(dict(req["query"])["partNumber"])
    sums = verify_body(req, req["body"])
    if u["algo"] and u["algo"] not in sums:
        raise AwsError("InvalidRequest", "Checksum Type mismatch occurred, "
                       "expected checksum Type: %s, actual checksum Type: "
                       "null" % u["algo"], 400)
    etag = '"%s"' % hashlib.md5(req["body"]).hexdigest()
    u["parts"][n] = {"body": req["body"], "etag": etag, "checksum": sums}
    h = {"ETag": etag}
    for a, v in sums.items():
        h["x-amz-checksum-" + a] = v
    return 200, h, b""


def _parts_asked(body):
    ns = "{%s}" % wire.S3_XMLNS
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        root = None
    if root is None or root.tag.replace(ns, "") != \
            "CompleteMultipartUpload":
        raise AwsError("MalformedXML", "The XML you provided was not "
                       "well-formed or did not validate against our "
                       "published schema.", 400)
    out = []
    for p in root:
        if p.tag.replace(ns, "") != "Part":
            continue
        d = {c.tag.replace(ns, ""): (c.text or "") for c in p}
        try:
            d["PartNumber"] = int(d.get("PartNumber", ""))
        except ValueError:
            raise AwsError("MalformedXML", "PartNumber is not an integer",
                           400)
        out.append(d)
    if not out:
        raise AwsError("MalformedXML", "The XML you provided was not "
                       "well-formed or did not validate against our "
                       "published schema.", 400)
    return out


def complete_upload(sim, req):
    u = _upload(sim, req)
    asked = _parts_asked(req["body"])
    nums = [p["PartNumber"] for p in asked]
    if nums != sorted(set(nums)):
        raise AwsError("InvalidPartOrder", "The list of parts was not in "
                       "ascending order. Parts must be ordered by part "
                       "number.", 400, UploadId=dict(req["query"])["uploadId"])
    parts = []
    for p in asked:
        have = u["parts"].get(p["PartNumber"])
        if have is None or have["etag"].strip('"') != \
                p.get("ETag", "").strip('"') or (
                    u["algo"] and p.get("Checksum" + u["algo"].upper()) !=
                    have["checksum"].get(u["algo"])):
            raise AwsError("InvalidPart", "One or more of the specified "
                           "parts could not be found.  The part may not "
                           "have been uploaded, or the specified entity tag "
                           "or checksum may not match the part's.", 400,
                           PartNumber=p["PartNumber"])
        parts.append(have)
    for p in parts[:-1]:
        if len(p["body"]) < sim.svc.min_part_size:
            raise AwsError("EntityTooSmall", "Your proposed upload is "
                           "smaller than the minimum allowed size", 400,
                           MinSizeAllowed=sim.svc.min_part_size,
                           ProposedSize=len(p["body"]))
    body = b"".join(p["body"] for p in parts)
    etag = '"%s-%d"' % (hashlib.md5(b"".join(
        bytes.fromhex(p["etag"].strip('"')) for p in parts)).hexdigest(),
        len(parts))
    sums = {}
    if u["algo"]:
        raw = b"".join(base64.b64decode(p["checksum"][u["algo"]])
                       for p in parts)
        sums[u["algo"]] = "%s-%d" % (_ALGOS[u["algo"]](raw).decode(),
                                     len(parts))
    b = bucket(sim, req["bucket"])
    b["objects"][req["key"]] = _new_object(sim, body, etag, req, sums,
                                           len(parts), u["type"], u["meta"])
    del sim.svc.uploads[dict(req["query"])["uploadId"]]
    d = {"Location": "/%s/%s" % (req["bucket"], req["key"]),
         "Bucket": req["bucket"], "Key": req["key"], "ETag": etag}
    for a, v in sums.items():
        d["Checksum" + a.upper()] = v
    return 200, {"Content-Type": "application/xml"}, wire.s3_xml(
        "CompleteMultipartUploadResult", d)


def abort_upload(sim, req):
    _upload(sim, req)
    del sim.svc.uploads[dict(req["query"])["uploadId"]]
    return 204, {}, b""


def dump(svc):
    return {"min_part_size": svc.min_part_size,
            "uploads": [{"upload_id": k, "bucket": u["bucket"],
                         "key": u["key"], "parts": sorted(u["parts"])}
                        for k, u in sorted(svc.uploads.items())],
            "objects": {b: {k: {"size": len(o["body"]), "etag": o["etag"],
                                "checksum": o.get("checksum", {}),
                                "parts": o.get("parts", 0)}
                            for k, o in sorted(v["objects"].items())}
                        for b, v in sorted(svc.buckets.items())}}


def _checked(op, fn):
    def run(sim, req):
        check_request(op, req)
        return fn(sim, req)
    return run


def install(handlers):
    handlers = dict(handlers)
    handlers.update({"PutObject": put_object,
                     "CreateMultipartUpload": create_upload,
                     "UploadPart": upload_part,
                     "CompleteMultipartUpload": complete_upload,
                     "AbortMultipartUpload": abort_upload})
    return {op: _checked(op, fn) for op, fn in handlers.items()}
