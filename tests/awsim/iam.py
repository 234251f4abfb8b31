# iam.py: IAM (signing name iam, global: scoped to us-east-1, query
# protocol, API 2010-05-08), what soca-doctor asks about the desktops'
# instance profile (issue 14): GetInstanceProfile and
# SimulatePrincipalPolicy for a role.
#
# State, set by POST /_awsim/iam {"profiles": {PROFILE: ROLE},
# "policies": {ROLE: [statement, ...]}} (GET shows it): a profile's role
# and the role's policy statements (Effect, Action, Resource; strings or
# lists, * and ? wildcards, actions matched case-insensitively).  The
# simulator decides as IAM's does for identity policies: an explicit Deny
# that matches -> explicitDeny, else an Allow that matches -> allowed,
# else implicitDeny.  Unknown profile or role: NoSuchEntity (404).

import fnmatch
import hashlib

import ec2data
from wire import AwsError

CREATED = 1700000000.0


class IamState:
    def __init__(self):
        self.profiles = {}      # name -> role name
        self.policies = {}      # role name -> [statement]

    def dump(self):
        return {"profiles": self.profiles, "policies": self.policies}


def st(sim):
    if getattr(sim, "iam", None) is None:
        sim.iam = IamState()
    return sim.iam


def _id(prefix, name):
    return prefix + hashlib.sha256(name.encode()).hexdigest()[:17].upper()


def _role_arn(name):
    return "arn:aws:iam::%s:role/%s" % (ec2data.ACCOUNT, name)


def _no_such(what, name):
    return AwsError("NoSuchEntity", "The %s with name %s cannot be found."
                    % (what, name), 404)


def get_instance_profile(sim, p):
    s = st(sim)
    name = p["InstanceProfileName"]
    if name not in s.profiles:
        raise _no_such("Instance Profile", name)
    role = s.profiles[name]
    roles = [] if role is None else [{
        "Path": "/", "RoleName": role, "RoleId": _id("AROA", role),
        "Arn": _role_arn(role), "CreateDate": CREATED}]
    return {"InstanceProfile": {
        "Path": "/", "InstanceProfileName": name,
        "InstanceProfileId": _id("AIPA", name),
        "Arn": "arn:aws:iam::%s:instance-profile/%s" % (ec2data.ACCOUNT,
                                                         name),
        "CreateDate": CREATED, "Roles": roles}}


def _list(v):
    return v if isinstance(v, list) else [v]


def _matches(stmt, action, resource):
    acts = _list(stmt.get("Action", []))
    ress = _list(stmt.get("Resource", []))
    return any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in acts) \
        and any(fnmatch.fnmatchcase(resource, r) for r in ress)


def simulate_principal_policy(sim, p):
    s = st(sim)
    arn = p["PolicySourceArn"]
    prefix = "arn:aws:iam::%s:role/" % ec2data.ACCOUNT
    role = arn[len(prefix):] if arn.startswith(prefix) else None
    if role is None or (role not in s.policies and
                        role not in s.profiles.values()):
        raise AwsError("NoSuchEntity", "The policy source %s cannot be "
                       "found." % arn, 404)
    stmts = s.policies.get(role, [])
    out = []
    for action in p["ActionNames"]:
        for res in p.get("ResourceArns", ["*"]):
            hits = [x for x in stmts if _matches(x, action, res)]
            if any(x.get("Effect") == "Deny" for x in hits):
                dec = "explicitDeny"
            elif any(x.get("Effect") == "Allow" for x in hits):
                dec = "allowed"
            else:
                dec = "implicitDeny"
            out.append({"EvalActionName": action, "EvalResourceName": res,
                        "EvalDecision": dec})
    return {"EvaluationResults": out, "IsTruncated": False}


HANDLERS = {
    "GetInstanceProfile": get_instance_profile,
    "SimulatePrincipalPolicy": simulate_principal_policy,
}
