# quotas.py: Service Quotas (signing name "servicequotas", JSON 1.1,
# target ServiceQuotasV20190624), minimal: GetServiceQuota for EC2's
# running On-Demand vCPU quotas soca-doctor compares with the queues.
# Their values are awsim's limits (POST /_awsim/limits): "vcpus" is the
# one RunInstances enforces (VcpuLimitExceeded); "vcpus_g" and "vcpus_p"
# are only reported.

from wire import AwsError

# quota code -> (name, limit key)
EC2 = {
    "L-1216C47A": ("Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) "
                   "instances", "vcpus"),
    "L-DB2E81BA": ("Running On-Demand G and VT instances", "vcpus_g"),
    "L-417A185B": ("Running On-Demand P instances", "vcpus_p"),
}


def get_service_quota(sim, p):
    if p["ServiceCode"] != "ec2" or p["QuotaCode"] not in EC2:
        raise AwsError("NoSuchResourceException", "The request failed "
                       "because the specified service or quota does not "
                       "exist (awsim knows ec2's %s)" % ", ".join(EC2))
    name, key = EC2[p["QuotaCode"]]
    with sim.lock:
        value = float(sim.limits[key])
    return {"Quota": {
        "ServiceCode": "ec2", "ServiceName": "Amazon Elastic Compute Cloud "
        "(Amazon EC2)",
        "QuotaArn": "arn:aws:servicequotas:%s:123456789012:ec2/%s" % (
            sim.region, p["QuotaCode"]),
        "QuotaCode": p["QuotaCode"], "QuotaName": name, "Value": value,
        "Unit": "None", "Adjustable": True, "GlobalQuota": False}}


HANDLERS = {"GetServiceQuota": get_service_quota}
