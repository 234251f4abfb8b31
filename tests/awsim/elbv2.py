# elbv2.py: Elastic Load Balancing v2 (signing name elasticloadbalancing,
# query protocol, API 2015-12-01), what soca-desktop needs to put one
# target group and one path rule per running desktop on an ALB listener
# (issue 14): CreateTargetGroup, DeleteTargetGroup, DescribeTargetGroups,
# RegisterTargets, DeregisterTargets, CreateRule, DeleteRule,
# DescribeRules, DescribeTags, DescribeListeners, DescribeLoadBalancers.
#
# One application load balancer exists from the start ("soca-desktops",
# LB_ARN) with one HTTPS:443 listener (LISTENER_ARN) and its default
# rule.  ELBv2's rules, as its API reference gives them:
# - a target group name is 1-32 letters, digits and hyphens, not starting
#   or ending with a hyphen; creating one whose name exists with the same
#   settings returns the existing group, with other settings is
#   DuplicateTargetGroupName;
# - a target group used by a rule cannot be deleted (ResourceInUse);
# - priorities are unique per listener (PriorityInUse); a listener holds
#   at most rule_limit rules besides its default one (TooManyRules;
#   100 as ALB's quota, POST /_awsim/elbv2 {"rule_limit": N} to change);
# - Describe* page with Marker / NextMarker, PageSize 1-400 (default
#   400; awsim's default page is page_size, 400, changeable the same way
#   so tests see several pages).

import hashlib

import ec2data
from wire import AwsError

LB_NAME = "soca-desktops"
LB_ID = "50dc6c495c0c9188"


def _arn(sim, kind):
    return "arn:aws:elasticloadbalancing:%s:%s:%s" % (sim.region,
                                                      ec2data.ACCOUNT, kind)


class Elbv2State:
    def __init__(self, sim):
        self.sim = sim
        self.rule_limit = 100
        self.page_size = 400
        self.lb_arn = _arn(sim, "loadbalancer/app/%s/%s" % (LB_NAME, LB_ID))
        self.listener_arn = _arn(sim, "listener/app/%s/%s/f2f7dc8efc522ab2"
                                 % (LB_NAME, LB_ID))
        self.tgs = {}       # arn -> target group (output shape) + targets
        self.rules = {}     # arn -> rule (output shape) + listener
        self.tags = {}      # arn -> {key: value}
        self.seq = 0

    def next_id(self, what):
        self.seq += 1
        return hashlib.sha256(("%s/%d" % (what, self.seq)).encode()
                              ).hexdigest()[:16]

    def dump(self):
        return {"load_balancer": self.lb_arn,
                "listener": self.listener_arn,
                "rule_limit": self.rule_limit, "page_size": self.page_size,
                "target_groups": [dict(t, Tags=self.tags.get(a, {}))
                                  for a, t in self.tgs.items()],
                "rules": [dict(r, Tags=self.tags.get(a, {}))
                          for a, r in self.rules.items() if r]}


def _st(sim):
    if getattr(sim, "elbv2", None) is None:
        sim.elbv2 = Elbv2State(sim)
    return sim.elbv2


def _page(st, items, p):
    size = p.get("PageSize", st.page_size)
    start = 0
    if p.get("Marker"):
        try:
            start = int(p["Marker"], 16) ^ 0x5eed
        except ValueError:
            raise AwsError("ValidationError", "Invalid Marker")
        if start < 0 or start > len(items):
            raise AwsError("ValidationError", "Invalid Marker")
    page = items[start:start + size]
    nxt = "%x" % ((start + size) ^ 0x5eed) if start + size < len(items) \
        else None
    return page, nxt


def _tags_in(st, arn, tags):
    if tags:
        st.tags.setdefault(arn, {}).update(
            {t["Key"]: t.get("Value", "") for t in tags})


def _listener(st, arn):
    if arn != st.listener_arn:
        raise AwsError("ListenerNotFound", "One or more listeners not "
                       "found", 400)


def _tg(st, arn):
    if arn not in st.tgs:
        raise AwsError("TargetGroupNotFound", "Target groups '%s' not found"
                       % arn, 400)
    return st.tgs[arn]


def _tg_out(t):
    return {k: v for k, v in t.items() if k != "targets"}


SETTINGS = ("Protocol", "Port", "VpcId", "TargetType", "HealthCheckPath",
            "HealthCheckProtocol", "ProtocolVersion")


def create_target_group(sim, p):
    st = _st(sim)
    name = p["Name"]
    ok = 1 <= len(name) <= 32 and name[0] != "-" and name[-1] != "-" and \
        all(c.isascii() and (c.isalnum() or c == "-") for c in name)
    if not ok:
        raise AwsError("ValidationError", "Target group name '%s' can only "
                       "contain characters that are alphanumeric characters "
                       "or hyphens(-), must be 1-32 long and must not begin "
                       "or end with a hyphen" % name)
    ttype = p.get("TargetType", "instance")
    if ttype in ("instance", "ip") and not p.get("VpcId"):
        raise AwsError("ValidationError", "A VPC ID must be specified")
    if ttype in ("instance", "ip") and ("Protocol" not in p or
                                        "Port" not in p):
        raise AwsError("ValidationError", "A protocol and a port must be "
                       "specified")
    for arn, t in st.tgs.items():
        if t["TargetGroupName"] == name:
            if all(t.get(k) == p.get(k) for k in SETTINGS
                   if k != "TargetType") and t["TargetType"] == ttype:
                _tags_in(st, arn, p.get("Tags"))
                return {"TargetGroups": [_tg_out(t)]}
            raise AwsError("DuplicateTargetGroupName", "A target group "
                           "with the same name '%s' exists, but with "
                           "different settings" % name)
    arn = _arn(sim, "targetgroup/%s/%s" % (name, st.next_id("tg")))
    t = {"TargetGroupArn": arn, "TargetGroupName": name,
         "TargetType": ttype, "LoadBalancerArns": [], "targets": []}
    for k in SETTINGS:
        if k in p and k != "TargetType":
            t[k] = p[k]
    st.tgs[arn] = t
    _tags_in(st, arn, p.get("Tags"))
    return {"TargetGroups": [_tg_out(t)]}


def delete_target_group(sim, p):
    st = _st(sim)
    arn = p["TargetGroupArn"]
    if arn not in st.tgs:
        return {}       # as ELBv2: deleting a missing group succeeds
    for r in st.rules.values():
        if r and any(a.get("TargetGroupArn") == arn for a in r["Actions"]):
            raise AwsError("ResourceInUse", "Target group '%s' is currently "
                           "in use by a listener or a rule" % arn)
    del st.tgs[arn]
    st.tags.pop(arn, None)
    return {}


def describe_target_groups(sim, p):
    st = _st(sim)
    items = list(st.tgs.values())
    if p.get("TargetGroupArns"):
        for a in p["TargetGroupArns"]:
            _tg(st, a)
        items = [t for t in items if t["TargetGroupArn"] in
                 p["TargetGroupArns"]]
    if p.get("Names"):
        names = {t["TargetGroupName"] for t in items}
        for n in p["Names"]:
            if n not in names:
                raise AwsError("TargetGroupNotFound", "One or more target "
                               "groups not found")
        items = [t for t in items if t["TargetGroupName"] in p["Names"]]
    if p.get("LoadBalancerArn"):
        items = [t for t in items if p["LoadBalancerArn"] in
                 t["LoadBalancerArns"]]
    page, nxt = _page(st, items, p)
    out = {"TargetGroups": [_tg_out(t) for t in page]}
    if nxt:
        out["NextMarker"] = nxt
    return out


def _targets(sim, p):
    known = sim.ec2.instances
    for t in p["Targets"]:
        i = known.get(t["Id"])
        if i is None or sim.ec2.state(i) in ("terminated", "shutting-down"):
            raise AwsError("InvalidTarget", "The following targets are not "
                           "in a running state and cannot be registered: "
                           "'%s'" % t["Id"])
    return p["Targets"]


def register_targets(sim, p):
    st = _st(sim)
    t = _tg(st, p["TargetGroupArn"])
    for d in _targets(sim, p):
        key = (d["Id"], d.get("Port", t.get("Port")))
        if key not in [(x["Id"], x["Port"]) for x in t["targets"]]:
            t["targets"].append({"Id": key[0], "Port": key[1]})
    return {}


def deregister_targets(sim, p):
    st = _st(sim)
    t = _tg(st, p["TargetGroupArn"])
    for d in p["Targets"]:
        port = d.get("Port", t.get("Port"))
        t["targets"] = [x for x in t["targets"]
                        if (x["Id"], x["Port"]) != (d["Id"], port)]
    return {}


def _rules(st):
    return [r for r in st.rules.values() if r]


def create_rule(sim, p):
    st = _st(sim)
    _listener(st, p["ListenerArn"])
    prio = str(p["Priority"])
    for r in _rules(st):
        if r["Priority"] == prio:
            raise AwsError("PriorityInUse", "Priority '%s' is currently in "
                           "use" % prio)
    if len(_rules(st)) >= st.rule_limit:
        raise AwsError("TooManyRules", "You've reached the limit on the "
                       "number of rules per load balancer (%d)"
                       % st.rule_limit)
    for a in p["Actions"]:
        if a["Type"] == "forward":
            tg = _tg(st, a.get("TargetGroupArn", ""))
            if st.lb_arn not in tg["LoadBalancerArns"]:
                tg["LoadBalancerArns"].append(st.lb_arn)
    for c in p["Conditions"]:
        vals = (c.get("PathPatternConfig") or {}).get("Values") or \
            c.get("Values") or []
        if c.get("Field") == "path-pattern" and not vals:
            raise AwsError("ValidationError", "A path pattern condition "
                           "must have at least one value")
    arn = _arn(sim, "listener-rule/app/%s/%s/f2f7dc8efc522ab2/%s"
               % (LB_NAME, LB_ID, st.next_id("rule")))
    r = {"RuleArn": arn, "Priority": prio, "Conditions": p["Conditions"],
         "Actions": p["Actions"], "IsDefault": False}
    st.rules[arn] = r
    _tags_in(st, arn, p.get("Tags"))
    return {"Rules": [r]}


def delete_rule(sim, p):
    st = _st(sim)
    r = st.rules.get(p["RuleArn"])
    if r is None:
        raise AwsError("RuleNotFound", "One or more rules not found")
    del st.rules[p["RuleArn"]]
    st.tags.pop(p["RuleArn"], None)
    for a in r["Actions"]:
        tg = st.tgs.get(a.get("TargetGroupArn"))
        if tg and not any(any(b.get("TargetGroupArn") == a[
                "TargetGroupArn"] for b in o["Actions"]) for o in _rules(st)):
            tg["LoadBalancerArns"] = []
    return {}


def describe_rules(sim, p):
    st = _st(sim)
    if p.get("RuleArns"):
        items = []
        for a in p["RuleArns"]:
            if a not in st.rules or st.rules[a] is None:
                raise AwsError("RuleNotFound", "One or more rules not found")
            items.append(st.rules[a])
    else:
        if "ListenerArn" not in p:
            raise AwsError("ValidationError", "A listener ARN or a set of "
                           "rule ARNs must be specified")
        _listener(st, p["ListenerArn"])
        items = sorted(_rules(st), key=lambda r: int(r["Priority"]))
        items.append({"RuleArn": _arn(sim, "listener-rule/app/%s/%s/"
                                      "f2f7dc8efc522ab2/default" % (LB_NAME,
                                                                    LB_ID)),
                      "Priority": "default", "Conditions": [],
                      "Actions": [{"Type": "fixed-response",
                                   "FixedResponseConfig": {
                                       "StatusCode": "404"}}],
                      "IsDefault": True})
    page, nxt = _page(st, items, p)
    out = {"Rules": page}
    if nxt:
        out["NextMarker"] = nxt
    return out


def describe_tags(sim, p):
    st = _st(sim)
    if len(p["ResourceArns"]) > 20:
        raise AwsError("ValidationError", "At most 20 resource ARNs")
    out = []
    for a in p["ResourceArns"]:
        if a not in st.tgs and a not in st.rules and a not in (
                st.lb_arn, st.listener_arn):
            raise AwsError("TargetGroupNotFound" if ":targetgroup/" in a
                           else "RuleNotFound" if ":listener-rule/" in a
                           else "LoadBalancerNotFound",
                           "'%s' not found" % a)
        out.append({"ResourceArn": a, "Tags": [
            {"Key": k, "Value": v} for k, v in st.tags.get(a, {}).items()]})
    return {"TagDescriptions": out}


def describe_listeners(sim, p):
    st = _st(sim)
    for a in p.get("ListenerArns", []):
        _listener(st, a)
    if p.get("LoadBalancerArn") not in (None, st.lb_arn):
        raise AwsError("LoadBalancerNotFound", "One or more load balancers "
                       "not found")
    return {"Listeners": [{"ListenerArn": st.listener_arn,
                           "LoadBalancerArn": st.lb_arn, "Port": 443,
                           "Protocol": "HTTPS"}]}


def describe_load_balancers(sim, p):
    st = _st(sim)
    for a in p.get("LoadBalancerArns", []):
        if a != st.lb_arn:
            raise AwsError("LoadBalancerNotFound", "One or more load "
                           "balancers not found")
    return {"LoadBalancers": [{
        "LoadBalancerArn": st.lb_arn, "LoadBalancerName": LB_NAME,
        "DNSName": "%s-1234567890.%s.elb.amazonaws.com" % (LB_NAME,
                                                            sim.region),
        "Scheme": "internet-facing", "VpcId": ec2data.VPC_ID,
        "Type": "application", "State": {"Code": "active"}}]}


HANDLERS = {
    "CreateTargetGroup": create_target_group,
    "DeleteTargetGroup": delete_target_group,
    "DescribeTargetGroups": describe_target_groups,
    "RegisterTargets": register_targets,
    "DeregisterTargets": deregister_targets,
    "CreateRule": create_rule,
    "DeleteRule": delete_rule,
    "DescribeRules": describe_rules,
    "DescribeTags": describe_tags,
    "DescribeListeners": describe_listeners,
    "DescribeLoadBalancers": describe_load_balancers,
}
