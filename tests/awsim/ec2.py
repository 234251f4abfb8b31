# ec2.py: EC2 state and operation handlers.
#
# HANDLERS maps an operation name to fn(sim, params) -> result dict in the
# botocore output shape (wire.py serialises it).  Params arrive already
# validated against the model, with member names.  Instances keep their
# launch and terminate times on the simulated clock and their state is
# derived from it (pending -> running after sim.pending_seconds,
# shutting-down -> terminated after sim.shutdown_seconds; terminated ones
# stay visible for an hour).  A Spot interruption (interrupt(), from the
# control endpoint) posts the instance-action notice at once and, when
# the clock reaches its time (tick()), terminates the instance with
# StateReason Server.SpotInstanceTermination.  RunInstances honours ClientToken (same token
# and parameters = same reservation, else IdempotentParameterMismatch) and
# counts real launches per token so tests can prove nothing ran twice.
# A handler that checks DryRun itself sets .dry_run = True; otherwise the
# dispatcher answers DryRunOperation after validation.  New operations
# (CreateFleet, placement groups, Spot) slot in as more HANDLERS entries.

import base64
import collections
import datetime
import fnmatch
import itertools
import json
import os
import re
import signal
import subprocess
import threading

import billing
import ec2data
import ec2power
from wire import AwsError

STATES = {"pending": 0, "running": 16, "shutting-down": 32,
          "terminated": 48, "stopping": 64, "stopped": 80}
VISIBLE_AFTER_TERMINATION = 3600
INSTANCE_ID = re.compile(r"^i-([0-9a-f]{8}|[0-9a-f]{17})$")
AMI_ID = re.compile(r"^ami-([0-9a-f]{8}|[0-9a-f]{17})$")
TAG_RESOURCE_TYPES = ("instance", "volume", "network-interface",
                      "spot-instances-request")


class Ec2State:
    def __init__(self, sim):
        self.sim = sim
        self.instances = collections.OrderedDict()
        self.reservations = {}
        self.tokens = {}
        self.launches = collections.Counter()
        self.seq = 0
        self.next_ip = collections.Counter()
        self.ends = 0           # terminations so far (vCPU cache key)
        self.vcpu_cache = None  # ((clock, ends), instances, vCPUs used)

    def state(self, inst):
        now = self.sim.now()
        if inst["terminate_at"] is not None:
            if now >= inst["terminate_at"] + self.sim.shutdown_seconds:
                return "terminated"
            return "shutting-down"
        if inst.get("power"):   # stopped or started since (ec2power.py)
            return ec2power.power_state(self.sim, inst)
        if now >= inst["launch"] + self.sim.pending_seconds:
            return "running"
        return "pending"

    def tick(self):
        """Carry out the Spot interruptions whose time has come."""
        now = self.sim.now()
        for i in self.instances.values():
            it = i.get("interrupt")
            if it and i["terminate_at"] is None and now >= it["time"]:
                i["terminate_at"] = it["time"]
                self.ends += 1
                i["state_reason"] = SPOT_REASON

    def visible(self, inst):
        t = inst["terminate_at"]
        return t is None or self.sim.now() < t + self.sim.shutdown_seconds \
            + VISIBLE_AFTER_TERMINATION

    def dump(self):
        out = []
        for i in self.instances.values():
            out.append({"InstanceId": i["id"], "State": self.state(i),
                        "InstanceType": i["type"], "ImageId": i["ami"],
                        "AvailabilityZone": i["az"], "SubnetId": i["subnet"],
                        "PrivateIpAddress": i["ip"],
                        "ReservationId": i["rid"],
                        "ClientToken": i["token"], "LaunchTime": i["launch"],
                        "TerminateTime": i["terminate_at"],
                        "Tags": dict(i["tags"]),
                        "Lifecycle": i["lifecycle"],
                        "StateReason": (i.get("state_reason") or {}).get(
                            "Code") if i["terminate_at"] is not None
                        else None,
                        "Interruption": i.get("interrupt"),
                        "BlockDeviceMappings": i.get("bdm") or [],
                        "UserData": i["user_data"]})
        return out


USER_REASON = {"Code": "Client.UserInitiatedShutdown",
               "Message": "Client.UserInitiatedShutdown: User initiated "
               "shutdown"}
SPOT_REASON = {"Code": "Server.SpotInstanceTermination",
               "Message": "Server.SpotInstanceTermination: Spot instance "
               "termination"}


def _err(code, msg, status=400):
    return AwsError(code, msg, status)


def _state_dict(name):
    return {"Code": STATES[name], "Name": name}


def instance_out(st, i):
    name = st.state(i)
    d = {
        "InstanceId": i["id"], "ImageId": i["ami"],
        "State": _state_dict(name),
        "PrivateDnsName": "" if name == "terminated" else
        "ip-%s.ec2.internal" % i["ip"].replace(".", "-"),
        "PublicDnsName": "",
        "StateTransitionReason": "" if i["terminate_at"] is None else
        "%s initiated (%s GMT)" % (
            "Service" if i.get("state_reason") is SPOT_REASON else "User",
            datetime.datetime.fromtimestamp(
            i["terminate_at"], datetime.timezone.utc).strftime(
                "%Y-%m-%d %H:%M:%S")),
        "AmiLaunchIndex": i["index"], "ProductCodes": [],
        "InstanceType": i["type"], "LaunchTime": i["launch"],
        "Placement": {"AvailabilityZone": i["az"],
                      "GroupName": i.get("pg") or "",
                      "Tenancy": "default"},
        "Monitoring": {"State": "disabled"},
        "Architecture": i["arch"], "ClientToken": i["token"],
        "EbsOptimized": False, "EnaSupport": True, "Hypervisor": "xen",
        "RootDeviceName": ec2data.image_root_device(i["ami"]),
        "RootDeviceType": "ebs",
        "SecurityGroups": [{"GroupName": "default",
                            "GroupId": "sg-0d0d0d0d0d0d0d0d0"}],
        "SourceDestCheck": True, "VirtualizationType": "hvm",
        "CpuOptions": {"CoreCount": i["cores"],
                       "ThreadsPerCore": i["threads"]},
        "BlockDeviceMappings": [],
        "PlatformDetails": "Linux/UNIX", "UsageOperation": "RunInstances",
        "MetadataOptions": {"State": "applied", "HttpTokens": "required",
                            "HttpPutResponseHopLimit": 2,
                            "HttpEndpoint": "enabled"},
    }
    if name != "terminated":
        d["PrivateIpAddress"] = i["ip"]
        d["SubnetId"] = i["subnet"]
        d["VpcId"] = ec2data.VPC_ID
    if i["tags"]:
        d["Tags"] = [{"Key": k, "Value": v} for k, v in i["tags"].items()]
    if i["key"]:
        d["KeyName"] = i["key"]
    if i["lifecycle"]:
        d["InstanceLifecycle"] = i["lifecycle"]
    if i["profile"]:
        d["IamInstanceProfile"] = {
            "Arn": i["profile"], "Id": "AIPA" + i["id"][2:14].upper()}
    if i["terminate_at"] is not None:
        d["StateReason"] = dict(i.get("state_reason") or USER_REASON)
    else:
        ec2power.decorate(st, i, d)
    return d


# ---- filters and paging, shared by the Describe* handlers ----

def _check_filters(filters, getters):
    for f in filters or []:
        name = f.get("Name", "")
        if not name.startswith("tag:") and name not in getters:
            raise _err("InvalidParameterValue", "The filter '%s' is invalid"
                       % name)
        if not f.get("Values"):
            raise _err("InvalidParameterValue", "The filter '%s' needs at "
                       "least one value" % name)


def _filtered(filters, getters, objs):
    _check_filters(filters, getters)
    return [o for o in objs if _match(filters, getters, o)]


def _match(filters, getters, obj):
    for f in filters or []:
        name = f.get("Name", "")
        values = f.get("Values") or []
        if name.startswith("tag:"):
            have = [v for k, v in obj_tags(obj).items() if k == name[4:]]
        else:
            have = getters[name](obj)
        have = ["true" if h is True else "false" if h is False else str(h)
                for h in have if h is not None]
        if not any(fnmatch.fnmatchcase(h, v) for h in have for v in values):
            return False
    return True


def obj_tags(obj):
    t = obj.get("tags") if isinstance(obj, dict) else None
    if t is not None:
        return t
    return {e["Key"]: e["Value"] for e in obj.get("Tags", [])}


def _page(items, params, lo, hi, key=None):
    """(page, next token) by offset; token is opaque base64."""
    start = 0
    tok = params.get("NextToken")
    if tok:
        try:
            raw = base64.b64decode(tok.encode(), validate=True).decode()
            kind, _, off = raw.partition(":")
            if kind != (key or "o"):
                raise ValueError
            start = int(off)
        except (ValueError, UnicodeDecodeError):
            raise _err("InvalidParameterValue", "Invalid value '%s' for "
                       "nextToken" % tok)
    mr = params.get("MaxResults")
    if mr is None:
        return items[start:], None
    if not lo <= mr <= hi:
        raise _err("InvalidParameterValue", "Value ( %d ) for parameter "
                   "maxResults is invalid. Expecting a value between %d and "
                   "%d." % (mr, lo, hi))
    page = items[start:start + mr]
    nxt = None
    if start + mr < len(items):
        nxt = base64.b64encode(("%s:%d" % (key or "o", start + mr))
                               .encode()).decode()
    return page, nxt


# ---- RunInstances ----

def _tags_from_specs(specs):
    out = {}
    for spec in specs or []:
        rt = spec.get("ResourceType")
        if rt not in TAG_RESOURCE_TYPES:
            raise _err("InvalidParameterValue", "'%s' is not a valid taggable "
                       "resource type for this operation." % rt)
        tags = spec.get("Tags") or []
        _check_tags(tags)
        if rt == "instance":
            for t in tags:
                out[t["Key"]] = t.get("Value", "")
    return out


def _check_tags(tags):
    seen = set()
    if len(tags) > 50:
        raise _err("TagLimitExceeded", "The maximum number of Tags for a "
                   "resource has been reached.")
    for t in tags:
        k = t.get("Key")
        if not k:
            raise _err("InvalidParameterValue", "Tag key cannot be empty")
        if len(k) > 128 or len(t.get("Value", "")) > 256:
            raise _err("InvalidParameterValue", "Tag key or value is too "
                       "long: '%s'" % k)
        if k.lower().startswith("aws:"):
            raise _err("InvalidParameterValue", "Tag keys starting with "
                       "'aws:' are reserved for internal use")
        if k in seen:
            raise _err("InvalidParameterValue", "Duplicate tag key '%s' "
                       "specified." % k)
        seen.add(k)


def _placement(sim, p, itype):
    region = sim.region
    subnets = {s[0]: s for s in ec2data.subnets(region)}
    az = (p.get("Placement") or {}).get("AvailabilityZone")
    sid = p.get("SubnetId")
    for ni in p.get("NetworkInterfaces") or []:
        sid = sid or ni.get("SubnetId")
        if ni.get("InterfaceType") == "efa" and not \
                ec2data.instance_type_info(itype)["NetworkInfo"][
                    "EfaSupported"]:
            raise _err("InvalidParameterCombination", "The specified "
                       "instance type %s does not support Elastic Fabric "
                       "Adapter (EFA)." % itype)
    if az is not None and az not in ec2data.zones(region):
        raise _err("InvalidParameterValue", "Invalid availability zone: "
                   "[%s]" % az)
    if sid is not None:
        if sid not in subnets:
            raise _err("InvalidSubnetID.NotFound", "The subnet ID '%s' does "
                       "not exist" % sid)
        if az is not None and subnets[sid][1] != az:
            raise _err("InvalidParameterCombination", "The specified "
                       "subnet %s is in Availability Zone %s, not %s."
                       % (sid, subnets[sid][1], az))
        return subnets[sid]
    for s in subnets.values():
        if az is None or s[1] == az:
            return s
    raise AssertionError("no subnet")


def _alloc_ip(st, subnet):
    sid, _, _, base = subnet
    n = st.next_ip[sid] + 4
    st.next_ip[sid] += 1
    return "172.31.%d.%d" % (base + n // 256, n % 256)


def _fingerprint(p):
    q = {k: v for k, v in p.items() if k not in ("ClientToken", "DryRun")}
    return json.dumps(q, sort_keys=True)


def run_instances(sim, p):
    st = sim.ec2
    lo, hi = p["MinCount"], p["MaxCount"]
    if lo < 1 or hi < 1:
        raise _err("InvalidParameterValue", "Value (%d) for parameter "
                   "%s is invalid. Expected a value of at least 1."
                   % (min(lo, hi), "minCount" if lo < 1 else "maxCount"))
    if lo > hi:
        raise _err("InvalidParameterValue", "Value (%d) for parameter "
                   "minCount is invalid. It must be less than or equal to "
                   "maxCount (%d)." % (lo, hi))
    if p.get("LaunchTemplate"):
        raise _err("Unsupported", "awsim does not support launch templates")
    ami = p.get("ImageId")
    if ami is None:
        raise _err("MissingParameter", "The request must contain the "
                   "parameter ImageId")
    if not AMI_ID.match(ami):
        raise _err("InvalidAMIID.Malformed", "Invalid id: \"%s\" (expecting "
                   "\"ami-...\")" % ami)
    if ami not in ec2data.image_ids():
        raise _err("InvalidAMIID.NotFound", "The image id '[%s]' does not "
                   "exist" % ami)
    itype = p.get("InstanceType", "m1.small")
    facts = ec2data.type_facts(itype)
    if facts is None:
        raise _err("InvalidParameterValue", "Invalid value '%s' for "
                   "InstanceType." % itype)
    if facts[4] != ec2data.image_arch(ami):
        raise _err("InvalidParameterValue", "The architecture '%s' of the "
                   "specified instance type does not match the architecture "
                   "'%s' of the specified AMI. Specify an instance type and "
                   "an AMI that have matching architectures, and try again."
                   % (facts[4], ec2data.image_arch(ami)))
    token = p.get("ClientToken", "")
    if len(token) > 64:
        raise _err("InvalidParameterValue", "Value (%s) for parameter "
                   "clientToken is invalid. Length exceeds 64." % token)
    tags = _tags_from_specs(p.get("TagSpecifications"))
    subnet = _placement(sim, p, itype)
    pg = (p.get("Placement") or {}).get("GroupName")
    if pg and pg not in _pgs(st):
        raise _err("InvalidPlacementGroup.Unknown", "The Placement Group "
                   "'%s' is unknown." % pg)
    cpu = p.get("CpuOptions") or {}
    cores = cpu.get("CoreCount", facts[1])
    threads = cpu.get("ThreadsPerCore", facts[2])
    if cores > facts[1] or threads > facts[2] or cores < 1 or threads < 1:
        raise _err("InvalidParameterValue", "Invalid CPU options for "
                   "instance type %s" % itype)
    user_data = p.get("UserData")
    if user_data is not None:
        try:
            base64.b64decode(user_data.encode(), validate=True)
        except ValueError:
            raise _err("InvalidParameterValue", "Invalid BASE64 encoding of "
                       "user data.")
    ec2power.check_launch(sim, p, itype, ami)
    if p.get("DryRun"):
        raise _err("DryRunOperation", "Request would have succeeded, but "
                   "DryRun flag is set.", 412)
    fp = _fingerprint(p)
    if token and token in st.tokens:
        old_fp, rid = st.tokens[token]
        if old_fp != fp:
            raise _err("IdempotentParameterMismatch", "Arguments on this "
                       "idempotent request are inconsistent with arguments "
                       "used in previous request(s).")
        return _reservation_out(st, rid)
    if sim.capacity_fault("ec2:RunInstances", itype, subnet[1]):
        others = [z for z in ec2data.zones(sim.region) if z != subnet[1]]
        raise _err("InsufficientInstanceCapacity", "We currently do not have "
                   "sufficient %s capacity in the Availability Zone you "
                   "requested (%s). Our system will be working on "
                   "provisioning additional capacity. You can currently get "
                   "%s capacity by not specifying an Availability Zone in "
                   "your request or choosing %s." % (
                       itype, subnet[1], itype, ", ".join(others)), 500)
    count = _vcpu_fit(sim, facts[0], lo, hi)
    market = (p.get("InstanceMarketOptions") or {}).get("MarketType")
    prof = p.get("IamInstanceProfile") or {}
    rid, ids = _add_instances(sim, count, p, itype, ami, facts, subnet, tags,
                              token, cores=cores, threads=threads, pg=pg,
                              user_data=user_data,
                              spot=market == "spot",
                              profile=prof.get("Arn") or (
                                  prof.get("Name") and
                                  "arn:aws:iam::%s:instance-profile/%s" % (
                                      ec2data.ACCOUNT, prof["Name"])))
    st.launches[token] += 1
    if token:
        st.tokens[token] = (fp, rid)
    if sim.boot_mode:
        for iid in ids:
            boot(sim, st.instances[iid])
    return _reservation_out(st, rid)


def boot(sim, inst):
    """--boot-mode: "boot" an instance by running its user-data as a local
    process whose IMDS is this instance's (AWS_EC2_METADATA_SERVICE_ENDPOINT
    = <awsim>/<instance-id>/); its output goes to awsim's log."""
    if not inst["user_data"] or not getattr(sim, "url", None):
        return
    script = base64.b64decode(inst["user_data"])
    env = dict(os.environ)
    env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = "%s/%s/" % (sim.url,
                                                          inst["id"])
    env["AWSIM_INSTANCE_ID"] = inst["id"]

    def start():
        # under the state lock, which TerminateInstances holds while it
        # halts: an instance terminated before its boot delay ran out
        # never boots (its user data would start a node nobody stops)
        with sim.lock:
            if inst["terminate_at"] is not None:
                return
            subprocess.Popen(["/bin/sh", "-c",
                              script.decode(errors="replace"), "user-data"],
                             env=env, stdin=subprocess.DEVNULL,
                             start_new_session=True)
    delay = getattr(sim, "boot_delay", 0.0)
    if delay > 0:
        t = threading.Timer(delay, start)
        t.daemon = True
        t.start()
    else:
        start()


run_instances.dry_run = True


def halt(iid):
    """--boot-mode: what a terminated instance ran stops with it: every
    process started from its user data (found by the AWSIM_INSTANCE_ID
    in its environment, which daemons keep) is killed."""
    want = ("AWSIM_INSTANCE_ID=%s" % iid).encode()
    # twice: a child forked while /proc was being read is seen the second
    # time (its parent, killed the first time, forks no more)
    for _ in range(2):
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                with open("/proc/%s/environ" % pid, "rb") as f:
                    if want in f.read().split(b"\0"):
                        os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass


def _vcpus_used(sim):
    """vCPUs of the instances not terminated.  Kept between calls while
    the clock and the terminations stay the same, adding only the
    instances launched since (new ones are last): a long backlog of
    launches stays linear."""
    st = sim.ec2
    key = (sim.now(), st.ends)
    c = st.vcpu_cache
    n = len(st.instances)
    if c is not None and c[0] == key and c[1] <= n:
        new = itertools.islice(reversed(st.instances.values()), n - c[1])
        used = c[2] + sum(i["vcpus"] for i in new)
    else:
        used = sum(i["vcpus"] for i in st.instances.values()
                   if st.state(i) != "terminated")
    st.vcpu_cache = (key, n, used)
    return used


def _vcpu_fit(sim, per, lo, hi):
    """How many instances of `per` vCPUs fit under the account's vCPU
    limit (POST /_awsim/limits): at least lo, at most hi, else refuse."""
    used = _vcpus_used(sim)
    fit = (sim.limits["vcpus"] - used) // per
    if fit < lo:
        raise _err("VcpuLimitExceeded", "You have requested more vCPU "
                   "capacity than your current vCPU limit of %d allows for "
                   "the instance bucket that the specified instance type "
                   "belongs to. Please visit http://aws.amazon.com/contact-"
                   "us/ec2-request to request an adjustment to this limit."
                   % sim.limits["vcpus"])
    return min(hi, fit)


def _reservation_out(st, rid):
    r = st.reservations[rid]
    return {"ReservationId": rid, "OwnerId": ec2data.ACCOUNT, "Groups": [],
            "Instances": [instance_out(st, st.instances[i])
                          for i in r["ids"]]}


# ---- DescribeInstances / TerminateInstances / tags ----

_INSTANCE_FILTERS = {
    "instance-id": lambda i: [i["id"]],
    "instance-type": lambda i: [i["type"]],
    "image-id": lambda i: [i["ami"]],
    "availability-zone": lambda i: [i["az"]],
    "subnet-id": lambda i: [i["subnet"]],
    "vpc-id": lambda i: [ec2data.VPC_ID],
    "reservation-id": lambda i: [i["rid"]],
    "private-ip-address": lambda i: [i["ip"]],
    "client-token": lambda i: [i["token"]],
    "key-name": lambda i: [i["key"]],
    "launch-index": lambda i: [i["index"]],
    "architecture": lambda i: [i["arch"]],
    "instance-lifecycle": lambda i: [i["lifecycle"]],
    "tag-key": lambda i: list(i["tags"]),
    "tag-value": lambda i: list(i["tags"].values()),
}


def _check_instance_ids(st, ids):
    for iid in ids:
        if not INSTANCE_ID.match(iid):
            raise _err("InvalidInstanceID.Malformed", "Invalid id: \"%s\""
                       % iid)
    missing = [i for i in ids if i not in st.instances or
               not st.visible(st.instances[i])]
    if len(missing) == 1:
        raise _err("InvalidInstanceID.NotFound", "The instance ID '%s' does "
                   "not exist" % missing[0])
    if missing:
        raise _err("InvalidInstanceID.NotFound", "The instance IDs '%s' do "
                   "not exist" % ", ".join(missing))


def describe_instances(sim, p):
    st = sim.ec2
    ids = p.get("InstanceIds")
    if ids and p.get("MaxResults") is not None:
        raise _err("InvalidParameterCombination", "The parameter instancesSet "
                   "cannot be used with the parameter maxResults")
    if ids:
        _check_instance_ids(st, ids)
    getters = dict(_INSTANCE_FILTERS)
    getters["instance-state-name"] = lambda i: [st.state(i)]
    getters["instance-state-code"] = lambda i: [STATES[st.state(i)]]
    insts = _filtered(p.get("Filters"), getters, [
        i for i in st.instances.values()
        if st.visible(i) and (not ids or i["id"] in ids)])
    page, nxt = _page(insts, p, 5, 1000, "i")
    groups = collections.OrderedDict()
    for i in page:
        groups.setdefault(i["rid"], []).append(i)
    res = [{"ReservationId": rid, "OwnerId": ec2data.ACCOUNT, "Groups": [],
            "Instances": [instance_out(st, i) for i in items]}
           for rid, items in groups.items()]
    out = {"Reservations": res}
    if nxt:
        out["NextToken"] = nxt
    return out


def terminate_instances(sim, p):
    st = sim.ec2
    ids = p["InstanceIds"]
    _check_instance_ids(st, ids)
    if p.get("DryRun"):
        raise _err("DryRunOperation", "Request would have succeeded, but "
                   "DryRun flag is set.", 412)
    out = []
    for iid in ids:
        i = st.instances[iid]
        before = st.state(i)
        if i["terminate_at"] is None:
            i["terminate_at"] = sim.now()
            i["state_reason"] = USER_REASON
            st.ends += 1
            if sim.boot_mode:
                halt(iid)
        out.append({"InstanceId": iid, "PreviousState": _state_dict(before),
                    "CurrentState": _state_dict(st.state(i))})
    return {"TerminatingInstances": out}


terminate_instances.dry_run = True


def _tag_targets(st, resources):
    for r in resources:
        if not r.startswith("i-"):
            raise _err("InvalidID", "The ID '%s' is not valid" % r)
    _check_instance_ids(st, resources)
    return [st.instances[r] for r in resources]


def create_tags(sim, p):
    targets = _tag_targets(sim.ec2, p["Resources"])
    _check_tags(p["Tags"])
    if p.get("DryRun"):
        raise _err("DryRunOperation", "Request would have succeeded, but "
                   "DryRun flag is set.", 412)
    for i in targets:
        merged = dict(i["tags"])
        for t in p["Tags"]:
            merged[t["Key"]] = t.get("Value", "")
        if len(merged) > 50:
            raise _err("TagLimitExceeded", "The maximum number of Tags for "
                       "a resource has been reached.")
    for i in targets:
        for t in p["Tags"]:
            i["tags"][t["Key"]] = t.get("Value", "")
    return None


create_tags.dry_run = True


def delete_tags(sim, p):
    targets = _tag_targets(sim.ec2, p["Resources"])
    if p.get("DryRun"):
        raise _err("DryRunOperation", "Request would have succeeded, but "
                   "DryRun flag is set.", 412)
    for i in targets:
        for t in p.get("Tags") or []:
            if t["Key"] in i["tags"] and ("Value" not in t or
                                         i["tags"][t["Key"]] == t["Value"]):
                del i["tags"][t["Key"]]
        if not p.get("Tags"):
            i["tags"].clear()
    return None


delete_tags.dry_run = True


# ---- catalogue ----

_TYPE_FILTERS = {
    "instance-type": lambda t: [t["InstanceType"]],
    "current-generation": lambda t: [t["CurrentGeneration"]],
    "network-info.efa-supported": lambda t: [t["NetworkInfo"][
        "EfaSupported"]],
    "vcpu-info.default-vcpus": lambda t: [t["VCpuInfo"]["DefaultVCpus"]],
    "vcpu-info.default-cores": lambda t: [t["VCpuInfo"]["DefaultCores"]],
    "memory-info.size-in-mib": lambda t: [t["MemoryInfo"]["SizeInMiB"]],
    "processor-info.supported-architecture": lambda t: t["ProcessorInfo"][
        "SupportedArchitectures"],
    "bare-metal": lambda t: [t["BareMetal"]],
    "burstable-performance-supported": lambda t: [t[
        "BurstablePerformanceSupported"]],
}


def describe_instance_types(sim, p):
    names = p.get("InstanceTypes")
    known = ec2data.instance_type_names()
    if names:
        bad = [n for n in names if n not in known]
        if bad:
            raise _err("InvalidInstanceType", "The following supplied "
                       "instance types do not exist: [%s]" % ", ".join(bad))
    infos = [ec2data.instance_type_info(n) for n in known
             if not names or n in names]
    infos = _filtered(p.get("Filters"), _TYPE_FILTERS, infos)
    page, nxt = _page(infos, p, 5, 100, "t")
    out = {"InstanceTypes": page}
    if nxt:
        out["NextToken"] = nxt
    return out


_IMAGE_FILTERS = {
    "image-id": lambda m: [m["ImageId"]], "name": lambda m: [m["Name"]],
    "architecture": lambda m: [m["Architecture"]],
    "state": lambda m: [m["State"]], "owner-id": lambda m: [m["OwnerId"]],
    "is-public": lambda m: [m["Public"]],
    "root-device-type": lambda m: [m["RootDeviceType"]],
    "virtualization-type": lambda m: [m["VirtualizationType"]],
    "description": lambda m: [m["Description"]],
}


def describe_images(sim, p):
    ids = p.get("ImageIds")
    if ids:
        for a in ids:
            if not AMI_ID.match(a):
                raise _err("InvalidAMIID.Malformed", "Invalid id: \"%s\" "
                           "(expecting \"ami-...\")" % a)
        bad = [a for a in ids if a not in ec2data.image_ids()]
        if bad:
            raise _err("InvalidAMIID.NotFound", "The image id '[%s]' does "
                       "not exist" % ", ".join(bad))
    owners = p.get("Owners")
    imgs = [ec2data.image_info(a) for a in ec2data.image_ids()
            if not ids or a in ids]
    if owners:
        imgs = [m for m in imgs if m["OwnerId"] in owners or
                "self" in owners or "amazon" in owners]
    imgs = _filtered(p.get("Filters"), _IMAGE_FILTERS, imgs)
    page, nxt = _page(imgs, p, 5, 1000, "m")
    out = {"Images": page}
    if nxt:
        out["NextToken"] = nxt
    return out


_SUBNET_FILTERS = {
    "subnet-id": lambda s: [s["SubnetId"]],
    "availability-zone": lambda s: [s["AvailabilityZone"]],
    "availabilityZone": lambda s: [s["AvailabilityZone"]],
    "availability-zone-id": lambda s: [s["AvailabilityZoneId"]],
    "vpc-id": lambda s: [s["VpcId"]], "state": lambda s: [s["State"]],
    "cidr-block": lambda s: [s["CidrBlock"]],
    "default-for-az": lambda s: [s["DefaultForAz"]],
    "owner-id": lambda s: [s["OwnerId"]],
}


def describe_subnets(sim, p):
    ids = p.get("SubnetIds")
    all_ = [ec2data.subnet_info(sim.region, sid, az, cidr,
                                sim.ec2.next_ip[sid])
            for sid, az, cidr, _ in ec2data.subnets(sim.region)]
    if ids:
        bad = [s for s in ids if s not in [x["SubnetId"] for x in all_]]
        if bad:
            raise _err("InvalidSubnetID.NotFound", "The subnet ID '%s' does "
                       "not exist" % bad[0])
    subs = _filtered(p.get("Filters"), _SUBNET_FILTERS,
                     [s for s in all_ if not ids or s["SubnetId"] in ids])
    page, nxt = _page(subs, p, 5, 1000, "s")
    out = {"Subnets": page}
    if nxt:
        out["NextToken"] = nxt
    return out


def describe_availability_zones(sim, p):
    zs = [{"ZoneName": z, "ZoneId": ec2data.zone_id(sim.region, z),
           "State": "available", "RegionName": sim.region,
           "ZoneType": "availability-zone", "GroupName": sim.region,
           "NetworkBorderGroup": sim.region,
           "OptInStatus": "opt-in-not-required", "Messages": []}
          for z in ec2data.zones(sim.region)]
    names = p.get("ZoneNames")
    if names:
        bad = [n for n in names if n not in ec2data.zones(sim.region)]
        if bad:
            raise _err("InvalidParameterValue", "The zone '%s' does not "
                       "exist." % bad[0])
        zs = [z for z in zs if z["ZoneName"] in names]
    zs = _filtered(p.get("Filters"), {
        "zone-name": lambda z: [z["ZoneName"]],
        "zone-id": lambda z: [z["ZoneId"]],
        "state": lambda z: [z["State"]],
        "region-name": lambda z: [z["RegionName"]]}, zs)
    return {"AvailabilityZones": zs}


def describe_vpcs(sim, p):
    return {"Vpcs": [{"VpcId": ec2data.VPC_ID, "CidrBlock": "172.31.0.0/16",
                      "State": "available", "IsDefault": True,
                      "OwnerId": ec2data.ACCOUNT,
                      "InstanceTenancy": "default",
                      "DhcpOptionsId": "dopt-0d0d0d0d0d0d0d0d0"}]}



# ---- CreateLaunchTemplate / CreateFleet (instant) ----

def _templates(st):
    if not hasattr(st, "templates"):
        st.templates = {}
        st.fleet_tokens = {}
    return st.templates


def create_launch_template(sim, p):
    lts = _templates(sim.ec2)
    name = p["LaunchTemplateName"]
    if name in lts:
        raise _err("InvalidLaunchTemplateName.AlreadyExistsException",
                   "Launch template name already in use.")
    if p.get("DryRun"):
        raise _err("DryRunOperation", "Request would have succeeded, but "
                   "DryRun flag is set.", 412)
    ltid = sim.hexid("lt")
    lts[name] = {"id": ltid, "name": name, "data": p["LaunchTemplateData"]}
    return {"LaunchTemplate": {"LaunchTemplateId": ltid,
                               "LaunchTemplateName": name,
                               "DefaultVersionNumber": 1,
                               "LatestVersionNumber": 1}}


create_launch_template.dry_run = True


def _fleet_template(st, spec):
    for lt in _templates(st).values():
        if lt["name"] == spec.get("LaunchTemplateName") or \
                lt["id"] == spec.get("LaunchTemplateId"):
            return lt
    if spec.get("LaunchTemplateId"):
        raise _err("InvalidLaunchTemplateId.NotFound", "The specified "
                   "launch template, with template ID %s, does not exist."
                   % spec["LaunchTemplateId"])
    raise _err("InvalidLaunchTemplateName.NotFoundException", "The "
               "specified launch template, with template name %s, does not "
               "exist." % spec.get("LaunchTemplateName"))


def _add_instances(sim, count, p, itype, ami, facts, subnet, tags, token,
                   cores, threads, pg, user_data, spot, profile):
    """count new instances in one reservation of RunInstances or CreateFleet
    parameters p; (reservation id, [instance ids])."""
    st = sim.ec2
    rid = sim.hexid("r")
    ids = []
    for n in range(count):
        iid = sim.hexid("i")
        st.seq += 1
        st.instances[iid] = {
            "id": iid, "rid": rid, "type": itype, "ami": ami,
            "arch": facts[4], "az": subnet[1], "subnet": subnet[0],
            "ip": _alloc_ip(st, subnet), "launch": sim.now(),
            "terminate_at": None, "tags": dict(tags), "token": token,
            "key": p.get("KeyName"), "index": n, "seq": st.seq,
            "cores": cores, "threads": threads, "user_data": user_data,
            "vcpus": facts[0], "pg": pg,
            "bdm": p.get("BlockDeviceMappings") or [],
            "md_tags": (p.get("MetadataOptions") or {}).get(
                "InstanceMetadataTags") == "enabled",
            "lifecycle": "spot" if spot else None,
            "profile": profile,
            "hibernate": (p.get("HibernationOptions") or {}).get(
                "Configured") is True,
        }
        ids.append(iid)
    st.reservations[rid] = {"ids": ids, "token": token}
    return rid, ids


def _fleet_launch(sim, data, ov, lifecycle, want, tags, token):
    """Up to `want` instances of one override; ([ids], error or None)."""
    itype = ov.get("InstanceType") or data.get("InstanceType", "m1.small")
    ami = ov.get("ImageId") or data.get("ImageId")
    facts = ec2data.type_facts(itype)
    if facts is None:
        return [], ("InvalidParameterValue", "Invalid value '%s' for "
                    "InstanceType." % itype)
    if ami not in ec2data.image_ids():
        return [], ("InvalidAMIID.NotFound", "The image id '[%s]' does not "
                    "exist" % ami)
    subnet = _placement(sim, {"SubnetId": ov.get("SubnetId")}, itype)
    if sim.capacity_fault("ec2:CreateFleet", itype, subnet[1]):
        return [], ("InsufficientInstanceCapacity", "We currently do not "
                    "have sufficient %s capacity in the Availability Zone "
                    "you requested (%s)." % (itype, subnet[1]))
    try:
        count = _vcpu_fit(sim, facts[0], 1, want)
    except AwsError as e:
        return [], (e.code, e.message)
    rid, ids = _add_instances(sim, count, data, itype, ami, facts, subnet,
                              tags, token, cores=facts[1], threads=facts[2],
                              pg=None, user_data=data.get("UserData"),
                              spot=lifecycle == "spot", profile=None)
    return ids, None


def create_fleet(sim, p):
    st = sim.ec2
    _templates(st)
    if p.get("Type") != "instant":
        raise _err("Unsupported", "awsim supports only instant fleets")
    cfg = p["LaunchTemplateConfigs"][0]
    lt = _fleet_template(st, cfg["LaunchTemplateSpecification"])
    tcs = p["TargetCapacitySpecification"]
    total = tcs["TotalTargetCapacity"]
    spot = tcs.get("SpotTargetCapacity")
    od = tcs.get("OnDemandTargetCapacity")
    default = tcs.get("DefaultTargetCapacityType", "on-demand")
    if spot is None and od is None:
        spot, od = (total, 0) if default == "spot" else (0, total)
    elif spot is None:
        spot = total - od
    elif od is None:
        od = total - spot
    tags = _tags_from_specs(p.get("TagSpecifications"))
    if p.get("DryRun"):
        raise _err("DryRunOperation", "Request would have succeeded, but "
                   "DryRun flag is set.", 412)
    token = p.get("ClientToken", "")
    fp = _fingerprint(p)
    if token and token in st.fleet_tokens:
        old_fp, out = st.fleet_tokens[token]
        if old_fp != fp:
            raise _err("IdempotentParameterMismatch", "Arguments on this "
                       "idempotent request are inconsistent with arguments "
                       "used in previous request(s).")
        return out
    overrides = sorted(cfg.get("Overrides") or [{}],
                       key=lambda o: o.get("Priority", 0))
    if not hasattr(st, "fleet_requests"):
        st.fleet_requests = []
    st.fleet_requests.append({"ClientToken": token,
                              "Overrides": overrides})
    spec = {"LaunchTemplateId": lt["id"],
            "Version": cfg["LaunchTemplateSpecification"].get("Version",
                                                              "1")}
    errors, insts = [], []
    for lifecycle, want in (("spot", spot), ("on-demand", od)):
        for ov in overrides:
            if want <= 0:
                break
            ids, error = _fleet_launch(sim, lt["data"], ov, lifecycle, want,
                                       tags, token)
            lto = {"LaunchTemplateSpecification": spec, "Overrides": {
                k: v for k, v in ov.items() if k in (
                    "InstanceType", "SubnetId", "MaxPrice", "Priority")}}
            if error:
                errors.append({"LaunchTemplateAndOverrides": lto,
                               "Lifecycle": lifecycle,
                               "ErrorCode": error[0],
                               "ErrorMessage": error[1]})
                continue
            want -= len(ids)
            insts.append({"LaunchTemplateAndOverrides": lto,
                          "Lifecycle": lifecycle, "InstanceIds": ids,
                          "InstanceType": st.instances[ids[0]]["type"]})
    if insts:
        st.launches[token] += 1
    if sim.boot_mode:
        for f in insts:
            for iid in f["InstanceIds"]:
                boot(sim, st.instances[iid])
    out = {"FleetId": "fleet-" + sim.hexid("x")[2:], "Errors": errors,
           "Instances": insts}
    if token:
        st.fleet_tokens[token] = (fp, out)
    return out


create_fleet.dry_run = True



# ---- CreatePlacementGroup / DeletePlacementGroup ----

def _pgs(st):
    if not hasattr(st, "pgs"):
        st.pgs = {}
    return st.pgs


def create_placement_group(sim, p):
    pgs = _pgs(sim.ec2)
    name = p.get("GroupName")
    if not name:
        raise _err("MissingParameter", "The request must contain the "
                   "parameter groupName")
    if name in pgs:
        raise _err("InvalidPlacementGroup.Duplicate", "The placement group "
                   "'%s' already exists." % name)
    if p.get("DryRun"):
        raise _err("DryRunOperation", "Request would have succeeded, but "
                   "DryRun flag is set.", 412)
    gid = sim.hexid("pg")
    pgs[name] = {"GroupName": name, "GroupId": gid, "State": "available",
                 "Strategy": p.get("Strategy", "cluster")}
    return {"PlacementGroup": dict(pgs[name])}


create_placement_group.dry_run = True


def delete_placement_group(sim, p):
    st = sim.ec2
    pgs = _pgs(st)
    name = p["GroupName"]
    if name not in pgs:
        raise _err("InvalidPlacementGroup.Unknown", "The Placement Group "
                   "'%s' is unknown." % name)
    if any(i.get("pg") == name and st.state(i) != "terminated"
           for i in st.instances.values()):
        raise _err("InvalidPlacementGroup.InUse", "The placement group "
                   "'%s' is in use and may not be deleted." % name)
    if p.get("DryRun"):
        raise _err("DryRunOperation", "Request would have succeeded, but "
                   "DryRun flag is set.", 412)
    del pgs[name]
    return {}


delete_placement_group.dry_run = True

HANDLERS = {
    "CreatePlacementGroup": create_placement_group,
    "DeletePlacementGroup": delete_placement_group,
    "CreateLaunchTemplate": create_launch_template,
    "CreateFleet": create_fleet,
    "RunInstances": run_instances,
    "DescribeInstances": describe_instances,
    "TerminateInstances": terminate_instances,
    "CreateTags": create_tags,
    "DeleteTags": delete_tags,
    "DescribeInstanceTypes": describe_instance_types,
    "DescribeImages": describe_images,
    "DescribeSubnets": describe_subnets,
    "DescribeAvailabilityZones": describe_availability_zones,
    "DescribeVpcs": describe_vpcs,
    "DescribeSpotPriceHistory": billing.describe_spot_price_history,
}
HANDLERS.update(ec2power.HANDLERS)     # stop, start, resize (issue 14)


# ---- Spot interruption (control endpoint) ----

def interrupt(sim, iid, notice=120):
    """Interrupt Spot instance iid: the notice now, termination after
    notice simulated seconds (0: at once)."""
    st = sim.ec2
    i = st.instances.get(iid)
    if i is None:
        raise ValueError("no instance %s" % iid)
    if i["lifecycle"] != "spot":
        raise ValueError("%s is not a Spot instance (only Spot instances "
                         "are interrupted)" % iid)
    if i["terminate_at"] is not None or i.get("interrupt"):
        raise ValueError("%s is already %s" % (
            iid, "interrupted" if i.get("interrupt") else st.state(i)))
    if not isinstance(notice, (int, float)) or notice < 0:
        raise ValueError("notice_seconds must be a number >= 0")
    i["interrupt"] = {"action": "terminate", "time": sim.now() + notice}
    st.tick()
    return {"instance_id": iid, "action": "terminate",
            "time": i["interrupt"]["time"], "state": st.state(i)}
