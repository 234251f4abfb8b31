# sigv4.py: verify AWS Signature Version 4 with botocore's own signer.
#
# The request as received (method, raw path, decoded query pairs, the
# headers the client listed in SignedHeaders, body) is rebuilt into a
# botocore AWSRequest and signed again by SigV4Auth (S3SigV4Auth for s3,
# the Query variants for presigned URLs) with the client's X-Amz-Date and
# credential scope; the two signatures must match.  The only override is
# headers_to_sign: AWS signs exactly the headers the client named, so we
# do too (botocore alone would drop a signed User-Agent, for instance).
# Failures raise AuthError with a neutral kind; the caller turns the kind
# into the error code of the service's protocol.

import datetime
import hashlib
import hmac
import urllib.parse

from botocore.auth import (S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth,
                           SigV4QueryAuth)
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

SKEW = 15 * 60
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class AuthError(Exception):
    """kind: missing, malformed, unknown_key, bad_token, expired_token,
    signature, skew, expired, region, content_sha256"""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.canonical_request = self.string_to_sign = None


class _ExactHeaders:
    signed = ()

    def headers_to_sign(self, request):
        hm = HTTPHeaders()
        for name in self.signed:
            for v in request.headers.get_all(name) or []:
                hm[name] = v
        return hm


class _V4(_ExactHeaders, SigV4Auth):
    pass


class _S3V4(_ExactHeaders, S3SigV4Auth):
    pass


class _QV4(_ExactHeaders, SigV4QueryAuth):
    pass


class _S3QV4(_ExactHeaders, S3SigV4QueryAuth):
    pass


class _Raw:
    """No path normalisation, generic payload rules (vector cases with
    normalize=false that are not s3)."""

    def _normalize_url_path(self, path):
        return path


class _RawV4(_ExactHeaders, _Raw, SigV4Auth):
    pass


class _RawQV4(_ExactHeaders, _Raw, SigV4QueryAuth):
    pass


class Auth:
    """What a request claims: parsed but not yet verified."""

    def __init__(self, akid, date, region, service, signed, signature,
                 amzdate, presigned, expires=None, token=None):
        self.akid, self.date, self.region = akid, date, region
        self.service, self.signed, self.signature = service, signed, signature
        self.amzdate, self.presigned = amzdate, presigned
        self.expires = expires
        self.token = token


def _split_credential(cred):
    parts = cred.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise AuthError("malformed", "Credential should be scoped with a "
                        "valid terminator: 'aws4_request', not '%s'." % cred)
    return parts[:4]


def parse(headers, query_pairs):
    """Return an Auth from the Authorization header or presigned query, or
    None when the request carries no signature at all."""
    authz = headers.get("Authorization")
    q = dict(query_pairs)
    if authz is not None:
        if not authz.startswith("AWS4-HMAC-SHA256 "):
            raise AuthError("malformed", "Unsupported Authorization Type")
        fields = {}
        for part in authz[len("AWS4-HMAC-SHA256 "):].split(","):
            k, sep, v = part.strip().partition("=")
            if not sep:
                raise AuthError("malformed", "Authorization header is "
                                "malformed: '%s'" % part.strip())
            fields[k] = v
        for k in ("Credential", "SignedHeaders", "Signature"):
            if k not in fields:
                raise AuthError("malformed", "Authorization header requires "
                                "'%s' parameter." % k)
        akid, date, region, service = _split_credential(fields["Credential"])
        amzdate = headers.get("X-Amz-Date")
        if amzdate is None:
            raise AuthError("malformed", "Authorization header requires "
                            "existence of either a 'X-Amz-Date' or a 'Date' "
                            "header.")
        return Auth(akid, date, region, service,
                    fields["SignedHeaders"].split(";"), fields["Signature"],
                    amzdate, False,
                    token=headers.get("X-Amz-Security-Token"))
    if "X-Amz-Signature" in q or "X-Amz-Credential" in q:
        for k in ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
                  "X-Amz-SignedHeaders", "X-Amz-Signature"):
            if k not in q:
                raise AuthError("malformed", "Query-string authentication "
                                "requires the %s parameter" % k)
        if q["X-Amz-Algorithm"] != "AWS4-HMAC-SHA256":
            raise AuthError("malformed", "X-Amz-Algorithm only supports "
                            "\"AWS4-HMAC-SHA256\"")
        akid, date, region, service = _split_credential(q["X-Amz-Credential"])
        try:
            expires = int(q.get("X-Amz-Expires", "3600"))
        except ValueError:
            raise AuthError("malformed", "X-Amz-Expires should be a number")
        if not 1 <= expires <= 604800:
            raise AuthError("malformed", "X-Amz-Expires must be less than a "
                            "week (in seconds) that is 604800")
        return Auth(akid, date, region, service,
                    q["X-Amz-SignedHeaders"].split(";"), q["X-Amz-Signature"],
                    q["X-Amz-Date"], True, expires=expires,
                    token=q.get("X-Amz-Security-Token"))
    return None


def _parse_amzdate(s):
    try:
        return datetime.datetime.strptime(s, "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
    except ValueError:
        raise AuthError("malformed", "Invalid X-Amz-Date '%s'" % s)


def verify(auth, creds, method, raw_path, query_pairs, headers, body, host,
           region, now, s3_rules=None):
    """Check auth against the known credentials (akid -> (secret, token or
    None, expiry or None)); raise AuthError or return nothing.  s3_rules
    (no path normalisation) defaults to the signing name being s3."""
    if auth.akid not in creds:
        raise AuthError("unknown_key", "The AWS Access Key Id you provided "
                        "does not exist in our records.")
    secret, token, expiry = creds[auth.akid]
    if token is not None and auth.token != token:
        raise AuthError("bad_token", "The security token included in the "
                        "request is invalid.")
    if token is None and auth.token is not None:
        raise AuthError("bad_token", "The security token included in the "
                        "request is invalid.")
    if expiry is not None and now > expiry:
        raise AuthError("expired_token", "The security token included in "
                        "the request is expired")
    t = _parse_amzdate(auth.amzdate)
    if auth.amzdate[:8] != auth.date:
        raise AuthError("signature", "Date in Credential scope does not "
                        "match YYYYMMDD from ISO-8601 version of date from "
                        "HTTP: '%s' != '%s', from '%s'."
                        % (auth.date, auth.amzdate[:8], auth.amzdate))
    if auth.region != region:
        raise AuthError("region", "Credential should be scoped to a valid "
                        "region, not '%s'. " % auth.region)
    if auth.presigned:
        if now > t + auth.expires:
            raise AuthError("expired", "Request has expired")
        if t - now > SKEW:
            raise AuthError("skew", "Request is not yet valid")
    elif abs(now - t) > SKEW:
        raise AuthError("skew", "Signature expired: %s is now earlier than "
                        "%s (%s - 15 min.)" % (
                            auth.amzdate,
                            _fmt(now - SKEW), _fmt(now)))
    signed = [h.strip().lower() for h in auth.signed]
    if "host" not in signed:
        raise AuthError("signature", "'Host' or ':authority' must be a "
                        "'SignedHeader' in the AWS Authorization.")
    is_s3 = auth.service == "s3"
    raw = is_s3 if s3_rules is None else s3_rules
    if auth.presigned:
        cls = _S3QV4 if is_s3 else _RawQV4 if raw else _QV4
        pairs = [(k, v) for k, v in query_pairs if k != "X-Amz-Signature"]
    else:
        cls = _S3V4 if is_s3 else _RawV4 if raw else _V4
        pairs = list(query_pairs)
    if token is not None and not auth.presigned and \
            "x-amz-security-token" not in signed:
        raise AuthError("bad_token", "The security token included in the "
                        "request is invalid: X-Amz-Security-Token must be "
                        "a signed header.")
    hdrs = HTTPHeaders()
    for name in signed:
        vals = headers.get_all(name)
        if vals is None:
            raise AuthError("signature", "The request signature we "
                            "calculated does not match the signature you "
                            "provided: signed header '%s' is missing." % name)
        for v in vals:
            hdrs[name] = v
    if not is_s3 and not auth.presigned:
        declared = headers.get("X-Amz-Content-SHA256")
        if declared is not None and declared != hashlib.sha256(
                body).hexdigest():
            raise AuthError("signature", "The request signature we "
                            "calculated does not match the signature you "
                            "provided.")
    req = AWSRequest(method=method, url="http://%s%s" % (host, raw_path),
                     headers=hdrs, data=body)
    req.params = pairs
    req.context["timestamp"] = auth.amzdate
    signer = cls(Credentials(auth.akid, secret, token), auth.service,
                 auth.region)
    signer.signed = signed
    cr = signer.canonical_request(req)
    sts = signer.string_to_sign(req, cr)
    want = signer.signature(sts, req)
    if not hmac.compare_digest(want, auth.signature):
        e = AuthError("signature", "The request signature we calculated "
                      "does not match the signature you provided. Check "
                      "your AWS Secret Access Key and signing method. "
                      "Consult the service documentation for details.")
        e.canonical_request, e.string_to_sign = cr, sts
        raise e
    if is_s3 and not auth.presigned:
        declared = headers.get("X-Amz-Content-SHA256")
        if declared is None:
            raise AuthError("content_sha256", "Missing required header for "
                            "this request: x-amz-content-sha256")
        if declared != "UNSIGNED-PAYLOAD" and \
                declared != hashlib.sha256(body).hexdigest():
            raise AuthError("content_sha256", "The provided "
                            "'x-amz-content-sha256' header does not match "
                            "what was computed.")


def _fmt(t):
    return datetime.datetime.fromtimestamp(
        t, datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def query_pairs(raw_query):
    """Decoded (name, value) pairs in wire order; '+' stays a plus."""
    out = []
    if not raw_query:
        return out
    for part in raw_query.split("&"):
        if part == "":
            continue
        k, _, v = part.partition("=")
        out.append((urllib.parse.unquote(k), urllib.parse.unquote(v)))
    return out
