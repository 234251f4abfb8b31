# wire.py: botocore service models, request parsing/validation and answer
# serialisation for the ec2 query, json 1.1 and S3 REST protocols.
#
# Requests are checked against the model the way the service would: EC2
# query parameters are mapped back to members through queryName /
# locationName (1-based list indexes, no .member.), leftovers are
# UnknownParameter; JSON bodies are type-checked member by member.
# Answers are Python dicts shaped like botocore's output shapes (member
# names, timestamps as epoch floats) and the serialisers walk the output
# shape to emit the wire form, so a handler never writes XML by hand and a
# misspelt key fails loudly (AssertionError -> 500) instead of being
# silently dropped.  AwsError carries one error; each protocol renders it.

import base64
import datetime
import json
import re
import threading
from xml.sax.saxutils import escape

import botocore.session

EC2_XMLNS = "http://ec2.amazonaws.com/doc/2016-11-15/"
S3_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"

_session = None
_models = {}
_mlock = threading.Lock()


class AwsError(Exception):
    def __init__(self, code, message, status=400, **extra):
        super().__init__("%s: %s" % (code, message))
        self.code, self.message, self.status = code, message, status
        self.extra = extra


class DropConnection(Exception):
    """Raised by fault injection: close without answering."""


def model(service):
    global _session
    with _mlock:
        if service not in _models:
            if _session is None:
                _session = botocore.session.get_session()
            _models[service] = _session.get_service_model(service)
        return _models[service]


# ---- EC2 query ----

def ec2_wire_name(name, shape):
    s = shape.serialization
    if "queryName" in s:
        return s["queryName"]
    if "name" in s:
        return s["name"][0].upper() + s["name"][1:]
    return name


_INT = re.compile(r"^-?[0-9]+$")


def _scalar(shape, raw, wire):
    t = shape.type_name
    if t in ("integer", "long"):
        if not _INT.match(raw):
            raise AwsError("InvalidParameterValue", "Value (%s) for "
                           "parameter %s is invalid. Expected an integer."
                           % (raw, wire))
        return int(raw)
    if t == "boolean":
        if raw.lower() not in ("true", "false"):
            raise AwsError("InvalidParameterValue", "Value (%s) for "
                           "parameter %s is invalid. Expected a boolean."
                           % (raw, wire))
        return raw.lower() == "true"
    if t in ("float", "double"):
        try:
            return float(raw)
        except ValueError:
            raise AwsError("InvalidParameterValue", "Value (%s) for "
                           "parameter %s is invalid. Expected a number."
                           % (raw, wire))
    if t == "timestamp":
        try:
            return parse_time(raw)
        except ValueError:
            raise AwsError("InvalidParameterValue", "Value (%s) for "
                           "parameter %s is invalid. Expected a timestamp."
                           % (raw, wire))
    if t == "blob":
        return raw
    return raw


def parse_time(raw):
    s = raw.strip()
    if _INT.match(s):
        return float(s)
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    d = datetime.datetime.fromisoformat(s)
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    return d.timestamp()


def _indexes(flat, key):
    pre = key + "."
    idx = set()
    for k in flat:
        if k.startswith(pre):
            seg = k[len(pre):].split(".", 1)[0]
            if seg.isdigit() and int(seg) >= 1 and seg[0] != "0":
                idx.add(int(seg))
    return sorted(idx)


def _q_value(shape, flat, key, used, missing):
    t = shape.type_name
    if t == "structure":
        if not any(k.startswith(key + ".") for k in flat):
            return None
        return _q_struct(shape, flat, key + ".", used, missing)
    if t == "list":
        out = []
        for i in _indexes(flat, key):
            v = _q_value(shape.member, flat, "%s.%d" % (key, i), used,
                         missing)
            if v is not None:
                out.append(v)
        return out if out else None
    if t == "map":
        out = {}
        for i in _indexes(flat, key):
            k = flat.get("%s.%d.Key" % (key, i))
            v = flat.get("%s.%d.Value" % (key, i))
            if k is not None:
                used.add("%s.%d.Key" % (key, i))
                used.add("%s.%d.Value" % (key, i))
                out[k] = v
        return out if out else None
    if key in flat:
        used.add(key)
        return _scalar(shape, flat[key], key)
    return None


def _q_struct(shape, flat, prefix, used, missing):
    out = {}
    for mname, mshape in shape.members.items():
        v = _q_value(mshape, flat, prefix + ec2_wire_name(mname, mshape),
                     used, missing)
        if v is not None:
            out[mname] = v
    for req in shape.required_members:
        if req not in out:
            missing.append(prefix + ec2_wire_name(req, shape.members[req]))
    return out


def ec2_params(op_model, flat):
    """flat: {wire name: value} without Action/Version."""
    shape = op_model.input_shape
    used, missing = set(), []
    out = _q_struct(shape, flat, "", used, missing) if shape else {}
    for k in flat:
        if k not in used:
            raise AwsError("UnknownParameter", "The parameter %s is not "
                           "recognized" % k)
    if missing:
        raise AwsError("MissingParameter", "The request must contain the "
                       "parameter %s" % missing[0])
    return out


def _iso(t):
    return datetime.datetime.fromtimestamp(
        t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _xml_scalar(shape, v):
    t = shape.type_name
    if t == "boolean":
        return "true" if v else "false"
    if t == "timestamp":
        return _iso(v) if isinstance(v, (int, float)) else str(v)
    if t == "blob":
        if isinstance(v, (bytes, bytearray)):
            return base64.b64encode(v).decode()
        return str(v)
    return escape(str(v))


def _xml_value(shape, v, name, out, item="item"):
    """v as XML under name; a list's entries are named by the model or
    item (EC2's "item"; the query protocol's "member")"""
    t = shape.type_name
    if t == "structure":
        assert isinstance(v, dict), "%s: %r is not a structure" % (name, v)
        out.append("<%s>" % name)
        _xml_members(shape, v, out, item)
        out.append("</%s>" % name)
    elif t == "list":
        assert isinstance(v, list), "%s: %r is not a list" % (name, v)
        entry = shape.member.serialization.get("name", item)
        out.append("<%s>" % name)
        for e in v:
            _xml_value(shape.member, e, entry, out, item)
        out.append("</%s>" % name)
    elif t == "map":
        out.append("<%s>" % name)
        for k, e in v.items():
            out.append("<entry><key>%s</key>" % escape(k))
            _xml_value(shape.value, e, "value", out, item)
            out.append("</entry>")
        out.append("</%s>" % name)
    else:
        out.append("<%s>%s</%s>" % (name, _xml_scalar(shape, v), name))


def _xml_members(shape, d, out, item="item"):
    for k in d:
        assert k in shape.members, "%s has no member %s" % (shape.name, k)
    for mname, mshape in shape.members.items():
        if d.get(mname) is None:
            continue
        _xml_value(mshape, d[mname], mshape.serialization.get("name", mname),
                   out, item)


def ec2_response(op_model, result, request_id):
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<%sResponse xmlns="%s">'
           '<requestId>%s</requestId>' % (op_model.name, EC2_XMLNS,
                                          request_id)]
    shape = op_model.output_shape
    if shape is None or not shape.members:
        out.append("<return>true</return>")
    else:
        _xml_members(shape, result or {}, out)
    out.append("</%sResponse>" % op_model.name)
    return "".join(out).encode()


def ec2_error(err, request_id):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors>'
            '<Error><Code>%s</Code><Message>%s</Message></Error></Errors>'
            '<RequestID>%s</RequestID></Response>'
            % (escape(err.code), escape(err.message), request_id)).encode()


# ---- JSON 1.1 ----

def _jtype_err(path, want):
    raise AwsError("SerializationException", "Unexpected value type at "
                   "'%s': expected %s" % (path, want))


def _lc(name):
    return name[0].lower() + name[1:]


def _j_constraints(shape, v, n, path, what):
    m = shape.metadata
    for key, ok, rel in (("min", lambda: n >= m["min"], "greater than or "
                          "equal to %s"),
                         ("max", lambda: n <= m["max"], "less than or equal "
                          "to %s")):
        if key in m and not ok():
            raise AwsError("ValidationException", "1 validation error "
                           "detected: Value '%s' at '%s' failed to satisfy "
                           "constraint: Member must %s %s"
                           % (v, path, what, rel % m[key]))
    pat = m.get("pattern")
    if pat and isinstance(v, str):
        try:
            ok = re.fullmatch(pat, v, re.S) is not None
        except re.error:
            ok = True
        if not ok:
            raise AwsError("ValidationException", "1 validation error "
                           "detected: Value '%s' at '%s' failed to satisfy "
                           "constraint: Member must satisfy regular "
                           "expression pattern: %s" % (v, path, pat))


def _j_check(shape, v, path):
    t = shape.type_name
    if t == "structure":
        if not isinstance(v, dict):
            _jtype_err(path, "an object")
        for k in v:
            if k not in shape.members:
                raise AwsError("ValidationException", "1 validation error "
                               "detected: unknown member '%s' at '%s'"
                               % (k, path or "input"))
        for req in shape.required_members:
            if v.get(req) is None:
                raise AwsError("ValidationException", "1 validation error "
                               "detected: Value null at '%s' failed to "
                               "satisfy constraint: Member must not be null"
                               % ((path + "." if path else "") + _lc(req)))
        for k, e in v.items():
            if e is not None:
                _j_check(shape.members[k], e,
                         (path + "." if path else "") + _lc(k))
    elif t == "list":
        if not isinstance(v, list):
            _jtype_err(path, "an array")
        _j_constraints(shape, v, len(v), path, "have length")
        for i, e in enumerate(v):
            _j_check(shape.member, e, "%s.%d.member" % (path, i + 1))
    elif t == "map":
        if not isinstance(v, dict):
            _jtype_err(path, "an object")
        for k, e in v.items():
            _j_check(shape.value, e, "%s.%s" % (path, k))
    elif t == "string":
        if not isinstance(v, str):
            _jtype_err(path, "a string")
        if shape.enum and v not in shape.enum:
            raise AwsError("ValidationException", "1 validation error "
                           "detected: Value '%s' at '%s' failed to satisfy "
                           "constraint: Member must satisfy enum value set: "
                           "[%s]" % (v, path, ", ".join(shape.enum)))
        _j_constraints(shape, v, len(v), path, "have length")
    elif t in ("integer", "long"):
        if isinstance(v, bool) or not isinstance(v, int):
            _jtype_err(path, "an integer")
        _j_constraints(shape, v, v, path, "have value")
    elif t in ("float", "double"):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            _jtype_err(path, "a number")
    elif t == "boolean":
        if not isinstance(v, bool):
            _jtype_err(path, "a boolean")
    elif t == "timestamp":
        if isinstance(v, bool) or not isinstance(v, (int, float, str)):
            _jtype_err(path, "a timestamp")
    elif t == "blob":
        if not isinstance(v, str):
            _jtype_err(path, "a base64 string")


def json_params(op_model, body):
    try:
        v = json.loads(body.decode() or "{}") if body else {}
    except (ValueError, UnicodeDecodeError):
        raise AwsError("SerializationException", "Start of structure or "
                       "map found where not expected")
    shape = op_model.input_shape
    if shape is None:
        if v not in ({}, None):
            raise AwsError("ValidationException", "this operation takes no "
                           "input")
        return {}
    _j_check(shape, v, "")
    return v


def _j_out(shape, v):
    t = shape.type_name
    if t == "structure":
        assert isinstance(v, dict)
        out = {}
        for k, e in v.items():
            assert k in shape.members, "%s has no member %s" % (shape.name,
                                                               k)
            if e is not None:
                out[k] = _j_out(shape.members[k], e)
        return out
    if t == "list":
        return [_j_out(shape.member, e) for e in v]
    if t == "map":
        return {k: _j_out(shape.value, e) for k, e in v.items()}
    if t == "timestamp":
        return v if isinstance(v, (int, float)) else parse_time(v)
    return v


def json_response(op_model, result):
    shape = op_model.output_shape
    if shape is None:
        return b"{}"
    return json.dumps(_j_out(shape, result or {})).encode()


_JSON_NS = {
    "ValidationException": "com.amazon.coral.validate#",
    "ThrottlingException": "com.amazon.coral.availability#",
    "UnrecognizedClientException": "com.amazon.coral.service#",
    "InvalidSignatureException": "com.amazon.coral.service#",
    "IncompleteSignatureException": "com.amazon.coral.service#",
    "MissingAuthenticationTokenException": "com.amazon.coral.service#",
    "UnknownOperationException": "com.amazon.coral.service#",
    "SerializationException": "com.amazon.coral.service#",
    "InternalFailure": "com.amazon.coral.service#",
    "ServiceUnavailableException": "com.amazon.coral.availability#",
}


def json_error(err):
    return json.dumps({"__type": _JSON_NS.get(err.code, "") + err.code,
                       "message": err.message}).encode()


# ---- S3 REST XML ----

def s3_error(err, request_id):
    extra = "".join("<%s>%s</%s>" % (k, escape(str(v)), k)
                    for k, v in err.extra.items())
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code>'
            '<Message>%s</Message>%s<RequestId>%s</RequestId>'
            '<HostId>awsim</HostId></Error>'
            % (escape(err.code), escape(err.message), extra,
               request_id)).encode()


def s3_xml(root, d):
    """A plain dict/list tree to S3 XML (lists repeat the element)."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<%s xmlns="%s">'
           % (root, S3_XMLNS)]

    def emit(name, v):
        if v is None:
            return
        if isinstance(v, list):
            for e in v:
                emit(name, e)
        elif isinstance(v, dict):
            out.append("<%s>" % name)
            for k, e in v.items():
                emit(k, e)
            out.append("</%s>" % name)
        elif isinstance(v, bool):
            out.append("<%s>%s</%s>" % (name, "true" if v else "false",
                                        name))
        else:
            out.append("<%s>%s</%s>" % (name, escape(str(v)), name))

    for k, v in d.items():
        emit(k, v)
    out.append("</%s>" % root)
    return "".join(out).encode()


def iso(t):
    return _iso(t)


# ---- query (elbv2, iam): like EC2's, with .member. lists and a Result ----
#
# Members go by their locationName (else their name); a list is
# Name.member.N unless the model flattens it; a map is
# Name.entry.N.key / .value.  The parsed request is then checked like a
# JSON body (types, enums, lengths, patterns), so a request a real
# service would refuse as invalid is refused here too.

def _qq_value(shape, flat, key, used):
    t = shape.type_name
    if t == "structure":
        if not any(k.startswith(key + ".") for k in flat):
            return None
        return _qq_struct(shape, flat, key + ".", used)
    if t == "list":
        base = key if shape.serialization.get("flattened") else \
            key + "." + shape.member.serialization.get("name", "member")
        out = []
        for i in _indexes(flat, base):
            v = _qq_value(shape.member, flat, "%s.%d" % (base, i), used)
            if v is not None:
                out.append(v)
        if not out and key in flat and flat[key] == "":
            used.add(key)     # an empty list is sent as "Name="
            return []
        return out if out else None
    if t == "map":
        out = {}
        for i in _indexes(flat, key + ".entry"):
            kk = "%s.entry.%d.key" % (key, i)
            vk = "%s.entry.%d.value" % (key, i)
            if kk in flat:
                used.update((kk, vk))
                out[flat[kk]] = flat.get(vk)
        return out if out else None
    if key in flat:
        used.add(key)
        return _scalar(shape, flat[key], key)
    return None


def _qq_struct(shape, flat, prefix, used):
    out = {}
    for mname, mshape in shape.members.items():
        wname = mshape.serialization.get("name", mname)
        v = _qq_value(mshape, flat, prefix + wname, used)
        if v is not None:
            out[mname] = v
    return out


def query_params(op_model, flat):
    shape = op_model.input_shape
    used = set()
    out = _qq_struct(shape, flat, "", used) if shape else {}
    for k in flat:
        if k not in used:
            raise AwsError("ValidationError", "Unknown parameter %s" % k)
    if shape is not None:
        try:
            _j_check(shape, out, "")
        except AwsError as e:
            raise AwsError("ValidationError", e.message)
    return out


def query_response(op_model, result, request_id, xmlns):
    name = op_model.name
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<%sResponse xmlns="%s">'
           % (name, xmlns)]
    shape = op_model.output_shape
    if shape is not None:
        wrap = shape.serialization.get("resultWrapper", name + "Result")
        out.append("<%s>" % wrap)
        _xml_members(shape, result or {}, out, "member")
        out.append("</%s>" % wrap)
    out.append("<ResponseMetadata><RequestId>%s</RequestId>"
               "</ResponseMetadata></%sResponse>" % (request_id, name))
    return "".join(out).encode()


def query_error(err, request_id, xmlns):
    kind = "Receiver" if err.status >= 500 else "Sender"
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns='
            '"%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s'
            '</Message></Error><RequestId>%s</RequestId></ErrorResponse>'
            % (xmlns, kind, escape(err.code), escape(err.message),
               request_id)).encode()
