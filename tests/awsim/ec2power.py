# ec2power.py: stopping, hibernating, starting and resizing instances
# (StopInstances, StartInstances, ModifyInstanceAttribute), for remote
# desktops (issue 14).  Kept apart from ec2.py, which calls in at three
# places only: Ec2State.state() asks power_state() once an instance has
# been stopped or started, instance_out() lets decorate() add what a
# stoppable instance shows, and run_instances() lets check_launch() refuse
# a HibernationOptions EC2 would refuse.
#
# An instance's last stop or start is i["power"] = {"kind": "stop" |
# "start", "at": t, "hibernate": bool}; its state follows from the clock:
# a stop is `stopping` for sim.stop_seconds (default shutdown_seconds)
# then `stopped`; a start is `pending` for pending_seconds then `running`.
# EC2's rules, as the API reference gives them:
# - Hibernate needs the instance launched with HibernationOptions
#   Configured (itself needing a type with HibernationSupported and an
#   encrypted EBS root volume at least as large as the RAM), and the
#   hibernation agent ready: refused for hibernate_ready seconds (default
#   120) after the instance last became running;
# - stopping a pending, shutting-down or terminated instance, or starting
#   a stopping/shutting-down/terminated one, is IncorrectInstanceState;
#   stop of a stopped and start of a running instance are no-ops;
# - the instance type changes only while stopped, never for an instance
#   configured for hibernation, and only to a type of the same
#   architecture.
# Faults apply as to every operation (POST /_awsim/faults with
# "op": "ec2:StopInstances"), so a test can make a stop fail.

import ec2
import ec2data

STOP_REASON = {"Code": "Client.UserInitiatedShutdown",
               "Message": "Client.UserInitiatedShutdown: User initiated "
               "shutdown"}
HIBERNATE_REASON = {"Code": "Client.UserInitiatedHibernate",
                    "Message": "Client.UserInitiatedHibernate: User "
                    "initiated hibernate"}


def _stop_seconds(sim):
    return getattr(sim, "stop_seconds", None) or sim.shutdown_seconds


def power_state(sim, inst):
    pw = inst["power"]
    now = sim.now()
    if pw["kind"] == "stop":
        return "stopping" if now < pw["at"] + _stop_seconds(sim) \
            else "stopped"
    return "pending" if now < pw["at"] + sim.pending_seconds else "running"


def _running_since(sim, inst):
    pw = inst.get("power")
    start = pw["at"] if pw and pw["kind"] == "start" else inst["launch"]
    return start + sim.pending_seconds


def decorate(st, inst, d):
    d["HibernationOptions"] = {"Configured": bool(inst.get("hibernate"))}
    pw = inst.get("power")
    name = d["State"]["Name"]
    if pw and pw["kind"] == "stop" and name in ("stopping", "stopped"):
        reason = HIBERNATE_REASON if pw.get("hibernate") else STOP_REASON
        d["StateReason"] = dict(reason)
        d["StateTransitionReason"] = "User initiated (%s GMT)" % \
            ec2.datetime.datetime.fromtimestamp(
                pw["at"], ec2.datetime.timezone.utc).strftime(
                    "%Y-%m-%d %H:%M:%S")
    if name in ("stopping", "stopped"):
        d.pop("PublicIpAddress", None)


def _root_size(p, ami):
    root = ec2data.image_root_device(ami)
    for m in p.get("BlockDeviceMappings") or []:
        if m.get("DeviceName") == root:
            ebs = m.get("Ebs") or {}
            return ebs.get("VolumeSize", 10), bool(ebs.get("Encrypted"))
    return 10, False


def check_launch(sim, p, itype, ami):
    """RunInstances with HibernationOptions.Configured: EC2's checks."""
    if not (p.get("HibernationOptions") or {}).get("Configured"):
        return
    if not ec2data.hibernation_supported(itype):
        raise ec2._err("UnsupportedHibernationConfiguration", "The instance "
                       "type %s does not support hibernation." % itype)
    if (p.get("InstanceMarketOptions") or {}).get("MarketType") == "spot":
        raise ec2._err("UnsupportedHibernationConfiguration", "Hibernation "
                       "is not supported for Spot Instances launched with "
                       "RunInstances in awsim.")
    size, encrypted = _root_size(p, ami)
    if not encrypted:
        raise ec2._err("UnsupportedHibernationConfiguration", "For "
                       "hibernation, the root volume must be an encrypted "
                       "EBS volume.")
    mib = ec2data.type_facts(itype)[3]
    if size * 1024 < mib:
        raise ec2._err("UnsupportedHibernationConfiguration", "For "
                       "hibernation, the root volume (%d GiB) must be large "
                       "enough to hold the instance memory (%d MiB)."
                       % (size, mib))


def _change(st, inst, before):
    return {"InstanceId": inst["id"],
            "PreviousState": ec2._state_dict(before),
            "CurrentState": ec2._state_dict(st.state(inst))}


def _dry(p):
    if p.get("DryRun"):
        raise ec2._err("DryRunOperation", "Request would have succeeded, "
                       "but DryRun flag is set.", 412)


def stop_instances(sim, p):
    st = sim.ec2
    ids = p["InstanceIds"]
    ec2._check_instance_ids(st, ids)
    hib = bool(p.get("Hibernate"))
    for iid in ids:
        i = st.instances[iid]
        s = st.state(i)
        if s in ("pending", "shutting-down", "terminated"):
            raise ec2._err("IncorrectInstanceState", "This instance '%s' is "
                           "not in a state from which it can be stopped."
                           % iid)
        if hib and s == "running":
            if not i.get("hibernate"):
                raise ec2._err("UnsupportedHibernationConfiguration",
                               "The instance %s does not have hibernation "
                               "enabled." % iid)
            ready = getattr(sim, "hibernate_ready", 120)
            if sim.now() < _running_since(sim, i) + ready:
                raise ec2._err("UnsupportedOperation", "Instance %s is not "
                               "ready to hibernate yet, please try again "
                               "in a few minutes." % iid)
    _dry(p)
    out = []
    for iid in ids:
        i = st.instances[iid]
        before = st.state(i)
        if before == "running":
            i["power"] = {"kind": "stop", "at": sim.now(), "hibernate": hib}
            i.setdefault("power_log", []).append(
                ("hibernate" if hib else "stop", sim.now()))
        out.append(_change(st, i, before))
    return {"StoppingInstances": out}


stop_instances.dry_run = True


def start_instances(sim, p):
    st = sim.ec2
    ids = p["InstanceIds"]
    ec2._check_instance_ids(st, ids)
    for iid in ids:
        s = st.state(st.instances[iid])
        if s in ("stopping", "shutting-down", "terminated"):
            raise ec2._err("IncorrectInstanceState", "The instance '%s' is "
                           "not in a state from which it can be started."
                           % iid)
    _dry(p)
    out = []
    for iid in ids:
        i = st.instances[iid]
        before = st.state(i)
        if before == "stopped":
            i["power"] = {"kind": "start", "at": sim.now()}
            i.setdefault("power_log", []).append(("start", sim.now()))
        out.append(_change(st, i, before))
    return {"StartingInstances": out}


start_instances.dry_run = True


def modify_instance_attribute(sim, p):
    st = sim.ec2
    iid = p["InstanceId"]
    ec2._check_instance_ids(st, [iid])
    i = st.instances[iid]
    new = (p.get("InstanceType") or {}).get("Value")
    if p.get("Attribute") == "instanceType":
        new = p.get("Value")
    if new is None:
        raise ec2._err("Unsupported", "awsim's ModifyInstanceAttribute "
                       "changes InstanceType only")
    facts = ec2data.type_facts(new)
    if facts is None:
        raise ec2._err("InvalidParameterValue", "Invalid value '%s' for "
                       "InstanceType." % new)
    if st.state(i) != "stopped":
        raise ec2._err("IncorrectInstanceState", "The instance '%s' is not "
                       "in the 'stopped' state." % iid)
    if i.get("hibernate"):
        raise ec2._err("UnsupportedOperation", "You can't change the "
                       "instance type of an instance that is enabled for "
                       "hibernation.")
    if facts[4] != i["arch"]:
        raise ec2._err("InvalidParameterValue", "The instance type '%s' "
                       "(architecture %s) is not compatible with the "
                       "instance's architecture '%s'." % (new, facts[4],
                                                         i["arch"]))
    _dry(p)
    i["type"] = new
    i["vcpus"] = facts[0]
    i["cores"], i["threads"] = facts[1], facts[2]
    return None


modify_instance_attribute.dry_run = True

HANDLERS = {
    "StopInstances": stop_instances,
    "StartInstances": start_instances,
    "ModifyInstanceAttribute": modify_instance_attribute,
}
