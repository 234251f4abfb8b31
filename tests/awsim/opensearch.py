# opensearch.py: a domain's REST API as an OpenSearch cluster answers it
# (signing name "es", Amazon OpenSearch Service; or HTTP basic auth, a
# self-managed cluster), in memory: index templates, documents kept by
# _id, _bulk, _doc, _count.  The data plane is not in botocore's models
# (its "opensearch" model is the control plane, signing name es: the
# signature is checked as for every other service); _bulk is parsed as
# strictly as OpenSearch parses it: a newline-terminated NDJSON body of
# action/metadata lines (one of index, create, update, delete, with known
# metadata keys only) each followed by its source where the action has
# one, an application/json or application/x-ndjson Content-Type.  An
# index made from a template with "dynamic": "strict" refuses documents
# with fields the mappings do not name, and long/date fields are checked.
# POST /_awsim/opensearch sets per-item failures to answer on the next
# bulk requests ({"reject": {"ID": 429, ...}, "times": 1}) and the basic
# auth credentials; GET /_awsim/opensearch returns indices, templates
# and the ids of every bulk request received.

import json
import re
import time

from wire import AwsError

ACTIONS = ("index", "create", "update", "delete")
META = {"_index", "_id", "routing", "_routing", "version", "version_type",
        "if_seq_no", "if_primary_term", "pipeline", "require_alias",
        "retry_on_conflict", "op_type", "_source"}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?"
                  r"(Z|[+-]\d{2}:?\d{2})?)?$")
REASONS = {429: ("es_rejected_execution_exception", "rejected execution of "
                 "coordinating operation [shard_detail=[soca][0]]"),
           400: ("mapper_parsing_exception", "failed to parse"),
           500: ("internal_server_error", "awsim: item failed"),
           503: ("unavailable_shards_exception", "primary shard is not "
                 "active")}


class OsError(AwsError):
    def __init__(self, etype, reason, status=400):
        super().__init__(etype, reason, status)


class OpenSearchState:
    def __init__(self):
        self.indices = {}    # name -> {"docs": {id: (version, src)}, map}
        self.templates = {}  # name -> body
        self.reject = {}     # id -> status, for the next `times` bulks
        self.reject_times = 0
        self.bulks = []      # ids of each bulk request, in order
        self.basic = "admin:soca-test-Pw1"
        self.seq = 0

    def dump(self):
        return {"indices": {n: {"count": len(i["docs"]),
                                "docs": {k: v[1] for k, v in
                                         i["docs"].items()},
                                "versions": {k: v[0] for k, v in
                                             i["docs"].items()}}
                            for n, i in self.indices.items()},
                "templates": self.templates, "bulks": self.bulks,
                "reject": self.reject, "reject_times": self.reject_times}

    def control(self, req):
        if "reject" in req:
            self.reject = {str(k): int(v) for k, v in req["reject"].items()}
            self.reject_times = int(req.get("times", 1))
        if "basic" in req:
            self.basic = req["basic"]
        if req.get("clear"):
            self.__init__()
        return self.dump()


def route(method, raw_path):
    """(operation, index, id) of a REST request."""
    parts = [p for p in raw_path.split("/") if p]
    if not parts:
        return "Info", None, None
    if parts == ["_bulk"] and method in ("POST", "PUT"):
        return "Bulk", None, None
    if len(parts) == 2 and parts[1] == "_bulk" and method in ("POST", "PUT"):
        return "Bulk", parts[0], None
    if len(parts) == 2 and parts[0] == "_index_template":
        return {"PUT": "PutIndexTemplate", "POST": "PutIndexTemplate",
                "GET": "GetIndexTemplate",
                "DELETE": "DeleteIndexTemplate"}.get(method,
                                                     "Unknown"), None, \
            parts[1]
    if len(parts) == 3 and parts[1] == "_doc" and method == "GET":
        return "GetDocument", parts[0], parts[2]
    if len(parts) == 2 and parts[1] == "_count":
        return "Count", parts[0], None
    if len(parts) == 1 and method == "GET":
        return "GetIndex", parts[0], None
    return "Unknown", None, None


def error_body(etype, reason, status):
    return json.dumps({"error": {"root_cause": [{"type": etype,
                                                 "reason": reason}],
                                 "type": etype, "reason": reason},
                       "status": status}).encode()


def _answer(status, obj):
    return status, {"Content-Type": "application/json; charset=UTF-8"}, \
        json.dumps(obj).encode()


def _pattern_match(pat, name):
    return re.fullmatch(re.escape(pat).replace(r"\*", ".*"), name) is not None


def _index(st, name):
    idx = st.indices.get(name)
    if idx is None:
        mappings = {}
        for t in sorted(st.templates.values(),
                        key=lambda t: -int(t.get("priority", 0))):
            if any(_pattern_match(p, name) for p in t["index_patterns"]):
                mappings = t.get("template", {}).get("mappings", {})
                break
        idx = st.indices[name] = {"docs": {}, "mappings": mappings}
    return idx


def _check_doc(mapping, doc, path=""):
    """None, or the reason the document does not fit the mapping."""
    props = mapping.get("properties", {})
    strict = mapping.get("dynamic") in ("strict", "false", False)
    for k, v in doc.items():
        full = path + k
        m = props.get(k)
        if m is None:
            if strict and mapping.get("dynamic") == "strict":
                return ("strict_dynamic_mapping_exception",
                        "mapping set to strict, dynamic introduction of "
                        "[%s] within [%s] is not allowed" % (k, path.rstrip(
                            ".") or "_doc"))
            continue
        t = m.get("type", "object")
        if v is None:
            continue
        if t in ("long", "integer") and (isinstance(v, bool) or
                                          not isinstance(v, int)):
            return ("mapper_parsing_exception", "failed to parse field "
                    "[%s] of type [%s]" % (full, t))
        if t in ("double", "float", "scaled_float") and (
                isinstance(v, bool) or not isinstance(v, (int, float))):
            return ("mapper_parsing_exception", "failed to parse field "
                    "[%s] of type [%s]" % (full, t))
        if t == "date" and not (isinstance(v, int) or (
                isinstance(v, str) and DATE.match(v))):
            return ("mapper_parsing_exception", "failed to parse field "
                    "[%s] of type [date]" % full)
        if t == "keyword" and isinstance(v, (dict, list)):
            return ("mapper_parsing_exception", "failed to parse field "
                    "[%s] of type [keyword]" % full)
        if t == "object":
            if not isinstance(v, dict):
                return ("mapper_parsing_exception", "object mapping for "
                        "[%s] tried to parse field [%s] as object, but "
                        "found a concrete value" % (full, k))
            why = _check_doc(m, v, full + ".")
            if why:
                return why
    return None


def _parse_bulk(body, ctype, path_index):
    if not (ctype.startswith("application/json") or
            ctype.startswith("application/x-ndjson")):
        raise OsError("illegal_argument_exception", "Content-Type header "
                      "[%s] is not supported" % ctype, 406)
    if not body:
        raise OsError("action_request_validation_exception",
                      "Validation Failed: 1: no requests added;")
    if not body.endswith(b"\n"):
        raise OsError("illegal_argument_exception", "The bulk request must "
                      "be terminated by a newline [\\n]")
    lines = body.decode("utf-8").split("\n")[:-1]
    ops, i = [], 0
    while i < len(lines):
        n = i + 1
        try:
            act = json.loads(lines[i])
        except ValueError as e:
            raise OsError("x_content_parse_exception", "[%d:1] line %d: %s"
                          % (n, n, e))
        if not isinstance(act, dict) or len(act) != 1:
            raise OsError("illegal_argument_exception", "Malformed action/"
                          "metadata line [%d], expected a simple value for "
                          "field [%s] but found [START_OBJECT]" % (n, n))
        (verb, meta), = act.items()
        if verb not in ACTIONS:
            raise OsError("illegal_argument_exception", "Action/metadata "
                          "line [%d] contains an unknown parameter [%s]"
                          % (n, verb))
        if not isinstance(meta, dict):
            raise OsError("illegal_argument_exception", "Malformed action/"
                          "metadata line [%d], expected START_OBJECT" % n)
        for k in meta:
            if k not in META:
                raise OsError("illegal_argument_exception", "Action/"
                              "metadata line [%d] contains an unknown "
                              "parameter [%s]" % (n, k))
        index = meta.get("_index", path_index)
        if not index:
            raise OsError("action_request_validation_exception",
                          "Validation Failed: 1: index is missing;")
        src = None
        if verb != "delete":
            if i + 1 >= len(lines):
                raise OsError("illegal_argument_exception", "The bulk "
                              "request must be terminated by a newline "
                              "[\\n]")
            try:
                src = json.loads(lines[i + 1])
            except ValueError as e:
                raise OsError("mapper_parsing_exception", "failed to parse"
                              " line %d: %s" % (n + 1, e))
            if not isinstance(src, dict):
                raise OsError("mapper_parsing_exception", "failed to parse"
                              ", document is empty")
            i += 1
        ops.append((verb, index, meta.get("_id"), src))
        i += 1
    return ops


def _item(st, verb, index, did, src):
    idx = _index(st, index)
    res = {"_index": index, "_id": did}
    status = st.reject.get(did) if st.reject_times > 0 else None
    if status:
        etype, reason = REASONS.get(status, REASONS[500])
        res.update(status=status, error={"type": etype, "reason": reason,
                                         "index": index})
        return res
    if verb == "delete":
        gone = idx["docs"].pop(did, None)
        res.update(status=200 if gone else 404,
                   result="deleted" if gone else "not_found")
        return res
    if did is None:
        st.seq += 1
        did = res["_id"] = "awsim-%d" % st.seq
    why = _check_doc(idx["mappings"], src) if verb != "update" else None
    if why:
        res.update(status=400, error={"type": why[0], "reason": why[1],
                                      "index": index})
        return res
    old = idx["docs"].get(did)
    if verb == "create" and old is not None:
        res.update(status=409, error={
            "type": "version_conflict_engine_exception",
            "reason": "[%s]: version conflict, document already exists "
            "(current version [%d])" % (did, old[0]), "index": index})
        return res
    if verb == "update":
        if old is None:
            res.update(status=404, error={
                "type": "document_missing_exception",
                "reason": "[%s]: document missing" % did, "index": index})
            return res
        src = dict(old[1], **src.get("doc", {}))
    version = old[0] + 1 if old else 1
    idx["docs"][did] = (version, src)
    st.seq += 1
    res.update(_version=version, result="updated" if old else "created",
               _shards={"total": 2, "successful": 1, "failed": 0},
               _seq_no=st.seq, _primary_term=1,
               status=200 if old else 201)
    return res


def bulk(sim, args):
    st = sim.opensearch
    t0 = time.time()
    ops = _parse_bulk(args["body"], args["headers"].get("Content-Type", ""),
                      args["index"])
    st.bulks.append([o[2] for o in ops])
    items = [{verb: _item(st, verb, index, did, src)}
             for verb, index, did, src in ops]
    if st.reject_times > 0:
        st.reject_times -= 1
    errors = any("error" in list(it.values())[0] for it in items)
    return _answer(200, {"took": int((time.time() - t0) * 1000),
                         "errors": errors, "items": items})


def put_template(sim, args):
    try:
        t = json.loads(args["body"] or b"null")
    except ValueError as e:
        raise OsError("x_content_parse_exception", str(e))
    if not isinstance(t, dict) or not isinstance(t.get("index_patterns"),
                                                 list):
        raise OsError("action_request_validation_exception", "Validation "
                      "Failed: 1: index patterns are missing;")
    for k in t:
        if k not in ("index_patterns", "template", "priority", "version",
                     "composed_of", "_meta", "data_stream"):
            raise OsError("x_content_parse_exception", "[1:2] [index_"
                          "template] unknown field [%s]" % k)
    sim.opensearch.templates[args["id"]] = t
    return _answer(200, {"acknowledged": True})


def get_template(sim, args):
    t = sim.opensearch.templates.get(args["id"])
    if t is None:
        raise OsError("resource_not_found_exception", "index template "
                      "matching [%s] not found" % args["id"], 404)
    return _answer(200, {"index_templates": [{"name": args["id"],
                                              "index_template": t}]})


def get_doc(sim, args):
    idx = sim.opensearch.indices.get(args["index"])
    if idx is None:
        raise OsError("index_not_found_exception", "no such index [%s]"
                      % args["index"], 404)
    d = idx["docs"].get(args["id"])
    if d is None:
        return _answer(404, {"_index": args["index"], "_id": args["id"],
                             "found": False})
    return _answer(200, {"_index": args["index"], "_id": args["id"],
                         "_version": d[0], "found": True, "_source": d[1]})


def count(sim, args):
    idx = sim.opensearch.indices.get(args["index"])
    if idx is None:
        raise OsError("index_not_found_exception", "no such index [%s]"
                      % args["index"], 404)
    return _answer(200, {"count": len(idx["docs"]),
                         "_shards": {"total": 1, "successful": 1,
                                     "skipped": 0, "failed": 0}})


def info(sim, args):
    return _answer(200, {"name": "awsim", "cluster_name": "awsim",
                         "version": {"distribution": "opensearch",
                                     "number": "2.11.0"},
                         "tagline": "The OpenSearch Project: "
                         "https://opensearch.org/"})


HANDLERS = {"Bulk": bulk, "PutIndexTemplate": put_template,
            "GetIndexTemplate": get_template, "GetDocument": get_doc,
            "Count": count, "Info": info}
