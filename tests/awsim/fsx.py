# fsx.py: Amazon FSx (signing name "fsx", JSON 1.1, target
# AWSSimbaAPIService_v20180301), FSx for Lustre only: CreateFileSystem,
# DescribeFileSystems, DeleteFileSystem, CreateDataRepositoryTask,
# DescribeDataRepositoryTasks.  Lifecycles follow the simulated clock:
# a file system is CREATING for create_seconds then AVAILABLE, DELETING
# for delete_seconds then gone; an export task is PENDING for
# pending_seconds, EXECUTING for export_seconds, then SUCCEEDED.  Faults
# (POST /_awsim/fsx): "next_create": "stuck" (CREATING for ever) or
# "fail" (FAILED), "next_export": "fail" (the next task ends FAILED) or
# "stuck" (EXECUTING for ever).
# ClientRequestToken: the same token and parameters return the first
# answer; other parameters: IncompatibleParameterError.  Sizes and
# throughput are checked with FSx's rules, an ImportPath's bucket must be
# in awsim's S3.

import base64
import json

from wire import AwsError

ACCOUNT = "123456789012"
KNOBS = ("create_seconds", "delete_seconds", "pending_seconds",
         "export_seconds", "next_create", "next_export")
THROUGHPUT = {"PERSISTENT_1": (50, 100, 200),
              "PERSISTENT_2": (125, 250, 500, 1000)}


class FsxState:
    def __init__(self, sim):
        self.sim = sim
        self.fs = {}            # id -> record
        self.tasks = {}         # id -> record
        self.tokens = {}        # ("fs"|"task"|"del", token) -> (params, id)
        self.create_seconds = 300.0
        self.delete_seconds = 60.0
        self.pending_seconds = 10.0
        self.export_seconds = 120.0
        self.next_create = None
        self.next_export = None

    def control(self, req):
        for k, v in req.items():
            if k not in KNOBS:
                raise ValueError("unknown fsx knob %s (known: %s)"
                                 % (k, ", ".join(KNOBS)))
            if k == "next_create" and v not in (None, "stuck", "fail"):
                raise ValueError("next_create is stuck, fail or null")
            if k == "next_export" and v not in (None, "fail", "stuck"):
                raise ValueError("next_export is fail, stuck or null")
            setattr(self, k, v if k.startswith("next_") else float(v))
        return self.dump()

    def lifecycle(self, f):
        now = self.sim.now()
        if f["deleted"] is not None:
            return None if now >= f["deleted"] + self.delete_seconds \
                else "DELETING"
        if f["fault"] == "stuck":
            return "CREATING"
        if now < f["created"] + self.create_seconds:
            return "CREATING"
        return "FAILED" if f["fault"] == "fail" else "AVAILABLE"

    def task_lifecycle(self, t):
        el = self.sim.now() - t["created"]
        if el < self.pending_seconds:
            return "PENDING"
        if el < self.pending_seconds + self.export_seconds or \
                t["fault"] == "stuck":
            return "EXECUTING"
        return "FAILED" if t["fault"] == "fail" else "SUCCEEDED"

    def live(self):
        for i in list(self.fs):
            if self.lifecycle(self.fs[i]) is None:
                del self.fs[i]
        return self.fs

    def dump(self):
        return {"fsx": {
            "file_systems": [dict(describe_fs(self, f),
                                  Lifecycle=self.lifecycle(f))
                             for f in self.live().values()],
            "tasks": [describe_task(self, t) for t in self.tasks.values()],
            "knobs": {k: getattr(self, k) for k in KNOBS}}}


def _bad(msg):
    return AwsError("BadRequest", msg)


def _check_lustre(p, sim):
    if p["FileSystemType"] != "LUSTRE":
        raise _bad("awsim implements FSx for Lustre only")
    lc = p.get("LustreConfiguration", {})
    dt = lc.get("DeploymentType", "SCRATCH_1")
    size = p["StorageCapacity"]
    step = 3600 if dt == "SCRATCH_1" else 2400
    if not (size == 1200 or (dt == "SCRATCH_1" and size == 2400) or
            (size > 0 and size % step == 0)):
        raise AwsError("BadRequest", "Invalid storage capacity %d GiB for %s: 1200%s or "
                       "multiples of %d" % (size, dt, ", 2400" if step ==
                                             3600 else "", step))
    tp = lc.get("PerUnitStorageThroughput")
    if dt in THROUGHPUT:
        if tp not in THROUGHPUT[dt]:
            raise _bad("PerUnitStorageThroughput %s is not valid for %s: %s"
                       % (tp, dt, ", ".join(map(str, THROUGHPUT[dt]))))
    elif tp is not None:
        raise _bad("PerUnitStorageThroughput is not supported for %s" % dt)
    if not p["SubnetIds"]:
        raise _bad("A subnet ID is required")
    if len(p["SubnetIds"]) > 1:
        raise _bad("Lustre file systems take exactly one subnet")
    for k in ("ImportPath", "ExportPath"):
        path = lc.get(k)
        if path is None:
            continue
        if dt == "PERSISTENT_2":
            raise _bad("%s is not supported for PERSISTENT_2; use data "
                       "repository associations" % k)
        if not path.startswith("s3://"):
            raise AwsError("InvalidImportPath" if k == "ImportPath" else
                           "InvalidExportPath", "%s must be an s3:// URL"
                           % k)
        bucket = path[5:].split("/", 1)[0]
        if bucket not in sim.svc.buckets:
            raise AwsError("InvalidImportPath" if k == "ImportPath" else
                           "InvalidExportPath", "The S3 bucket %s does not "
                           "exist" % bucket)
    if lc.get("ExportPath") and not lc.get("ImportPath"):
        raise _bad("ExportPath requires ImportPath")
    return dt, lc


def _idem(st, kind, p, make):
    tok = p.get("ClientRequestToken")
    key = json.dumps(p, sort_keys=True, default=str)
    if tok is not None and (kind, tok) in st.tokens:
        was, rid = st.tokens[(kind, tok)]
        if was != key:
            raise AwsError("IncompatibleParameterError", "The request "
                           "token %s was used with other parameters" % tok,
                           Parameter="ClientRequestToken")
        return rid
    rid = make()
    if tok is not None:
        st.tokens[(kind, tok)] = (key, rid)
    return rid


def describe_fs(st, f):
    d = {k: v for k, v in f["out"].items()}
    d["Lifecycle"] = st.lifecycle(f) or "DELETING"
    if d["Lifecycle"] == "FAILED":
        d["FailureDetails"] = {"Message": "awsim: the file system failed "
                               "to create (fault next_create=fail)"}
    return d


def create_file_system(sim, p):
    st = sim.fsx
    dt, lc = _check_lustre(p, sim)

    def make():
        fid = sim.hexid("fs")
        mount = "fsx" if dt == "SCRATCH_1" else \
            "%08x" % sim.rng.getrandbits(32)
        lustre = {"DeploymentType": dt, "MountName": mount,
                  "WeeklyMaintenanceStartTime": "1:05:00"}
        if "PerUnitStorageThroughput" in lc:
            lustre["PerUnitStorageThroughput"] = lc["PerUnitStorageThroughput"]
        if lc.get("ImportPath"):
            lustre["DataRepositoryConfiguration"] = {
                "Lifecycle": "AVAILABLE", "ImportPath": lc["ImportPath"],
                "ExportPath": lc.get("ExportPath") or lc["ImportPath"],
                "ImportedFileChunkSize": 1024}
        out = {"OwnerId": ACCOUNT, "CreationTime": sim.now(),
               "FileSystemId": fid, "FileSystemType": "LUSTRE",
               "StorageCapacity": p["StorageCapacity"], "StorageType": "SSD",
               "VpcId": "vpc-0a1b2c3d4e5f60001",
               "SubnetIds": list(p["SubnetIds"]),
               "NetworkInterfaceIds": [sim.hexid("eni")],
               "DNSName": "%s.fsx.%s.amazonaws.com" % (fid, sim.region),
               "ResourceARN": "arn:aws:fsx:%s:%s:file-system/%s"
               % (sim.region, ACCOUNT, fid),
               "Tags": list(p.get("Tags", [])),
               "LustreConfiguration": lustre, "FileSystemTypeVersion": "2.15"}
        st.fs[fid] = {"out": out, "created": sim.now(), "deleted": None,
                      "fault": st.next_create,
                      "sgs": list(p.get("SecurityGroupIds", []))}
        st.next_create = None
        return fid
    fid = _idem(st, "fs", p, make)
    if fid not in st.live():
        raise AwsError("IncompatibleParameterError", "The file system "
                       "created with token %s is deleted"
                       % p.get("ClientRequestToken"),
                       Parameter="ClientRequestToken")
    return {"FileSystem": describe_fs(st, st.fs[fid])}


def _page(items, p, key):
    mr = p.get("MaxResults") or 100
    start = 0
    if p.get("NextToken"):
        try:
            start = int(base64.b64decode(p["NextToken"]).decode())
        except ValueError:
            raise AwsError("BadRequest", "Invalid NextToken")
    out = {key: items[start:start + mr]}
    if start + mr < len(items):
        out["NextToken"] = base64.b64encode(str(start + mr).encode()).decode()
    return out


def _fs(st, fid):
    f = st.live().get(fid)
    if f is None:
        raise AwsError("FileSystemNotFound", "File system '%s' does not "
                       "exist." % fid)
    return f


def describe_file_systems(sim, p):
    st = sim.fsx
    ids = p.get("FileSystemIds")
    if ids:
        fss = [_fs(st, i) for i in ids]
    else:
        fss = sorted(st.live().values(), key=lambda f: f["created"])
    return _page([describe_fs(st, f) for f in fss], p, "FileSystems")


def delete_file_system(sim, p):
    st = sim.fsx
    f = _fs(st, p["FileSystemId"])
    state = st.lifecycle(f)
    if state == "DELETING":
        return {"FileSystemId": p["FileSystemId"], "Lifecycle": "DELETING"}
    if state == "CREATING":
        raise _bad("File system %s is being created; it cannot be deleted "
                   "until it is AVAILABLE or FAILED" % p["FileSystemId"])
    for t in st.tasks.values():
        if t["fs"] == p["FileSystemId"] and \
                st.task_lifecycle(t) in ("PENDING", "EXECUTING"):
            raise AwsError("DataRepositoryTaskExecuting", "A data "
                           "repository task is running on %s"
                           % p["FileSystemId"])
    f["deleted"] = sim.now()
    return {"FileSystemId": p["FileSystemId"], "Lifecycle": "DELETING"}


def describe_task(st, t):
    d = dict(t["out"])
    d["Lifecycle"] = st.task_lifecycle(t)
    if d["Lifecycle"] != "PENDING":
        d["StartTime"] = t["created"] + st.pending_seconds
    if d["Lifecycle"] in ("SUCCEEDED", "FAILED"):
        d["EndTime"] = t["created"] + st.pending_seconds + st.export_seconds
    if d["Lifecycle"] == "FAILED":
        d["FailureDetails"] = {"Message": "awsim: the export failed "
                               "(fault next_export=fail)"}
    return d


def create_data_repository_task(sim, p):
    st = sim.fsx
    f = _fs(st, p["FileSystemId"])
    if p["Type"] != "EXPORT_TO_REPOSITORY":
        raise _bad("awsim implements EXPORT_TO_REPOSITORY tasks only")
    if st.lifecycle(f) != "AVAILABLE":
        raise _bad("File system %s is %s, not AVAILABLE"
                   % (p["FileSystemId"], st.lifecycle(f)))
    if "DataRepositoryConfiguration" not in \
            f["out"]["LustreConfiguration"]:
        raise _bad("File system %s is not linked to a data repository"
                   % p["FileSystemId"])

    def make():
        for t in st.tasks.values():
            if t["fs"] == p["FileSystemId"] and \
                    st.task_lifecycle(t) in ("PENDING", "EXECUTING"):
                raise AwsError("DataRepositoryTaskExecuting", "A data "
                               "repository task is already running on %s"
                               % p["FileSystemId"])
        tid = sim.hexid("task")
        st.tasks[tid] = {"fs": p["FileSystemId"], "created": sim.now(),
                         "fault": st.next_export, "out": {
                             "TaskId": tid, "Type": p["Type"],
                             "CreationTime": sim.now(),
                             "FileSystemId": p["FileSystemId"],
                             "ResourceARN": "arn:aws:fsx:%s:%s:task/%s"
                             % (sim.region, ACCOUNT, tid),
                             "Paths": list(p.get("Paths", [])),
                             "Report": p["Report"]}}
        st.next_export = None
        return tid
    tid = _idem(st, "task", p, make)
    return {"DataRepositoryTask": describe_task(st, st.tasks[tid])}


def describe_data_repository_tasks(sim, p):
    st = sim.fsx
    ts = list(st.tasks.values())
    if p.get("TaskIds"):
        ts = [t for t in ts if t["out"]["TaskId"] in p["TaskIds"]]
        if len(ts) != len(p["TaskIds"]):
            raise AwsError("DataRepositoryTaskNotFound", "A task of %s does "
                           "not exist" % ", ".join(p["TaskIds"]))
    for flt in p.get("Filters", []):
        vals = flt.get("Values", [])
        if flt.get("Name") == "file-system-id":
            ts = [t for t in ts if t["fs"] in vals]
        elif flt.get("Name") == "task-lifecycle":
            ts = [t for t in ts if st.task_lifecycle(t) in vals]
        else:
            raise _bad("awsim filters tasks by file-system-id and "
                       "task-lifecycle only")
    ts.sort(key=lambda t: t["created"])
    return _page([describe_task(st, t) for t in ts], p,
                 "DataRepositoryTasks")


HANDLERS = {
    "CreateFileSystem": create_file_system,
    "DescribeFileSystems": describe_file_systems,
    "DeleteFileSystem": delete_file_system,
    "CreateDataRepositoryTask": create_data_repository_task,
    "DescribeDataRepositoryTasks": describe_data_repository_tasks,
}
