# pricing.py: the AWS Price List API (signing name "pricing", JSON 1.1,
# scope region us-east-1), minimal: GetProducts for AmazonEC2 on-demand
# Linux prices of the instance types in ec2data.py, EBS volume storage
# (productFamily Storage, volumeApiName), NAT gateway hours, AmazonEFS
# storage classes and AmazonVPC's in-use public IPv4 address hours (the
# baseline soca-budget platform prices), AWSELB's Application Load
# Balancer hours and LCU-hours and AmazonES (OpenSearch Service) instance
# hours and gp3 storage (its optional parts), AmazonFSx's FSx for Lustre
# SSD storage per deployment option and throughput tier (a job's
# -l fsx_lustre estimate), DescribeServices.
#
# Each PriceList entry is a JSON string in the real product/terms layout
# (product.attributes, terms.OnDemand.*.priceDimensions.*.pricePerUnit.USD)
# so a client parses exactly what AWS sends.  Prices are approximate public
# us-east-1 figures: test data, not a price list.  Filters are TERM_MATCH
# on product attributes (case-insensitive values, as AWS matches them).
# Spot prices and other services are for later issues.

import base64
import itertools
import json

import ec2data
from wire import AwsError

ON_DEMAND = {
    "t3.micro": 0.0104, "t3.small": 0.0208, "t3.medium": 0.0416,
    "t3.large": 0.0832, "t3.xlarge": 0.1664, "t3.2xlarge": 0.3328,
    "c5.large": 0.085, "c5.xlarge": 0.17, "c5.2xlarge": 0.34,
    "c5.4xlarge": 0.68, "c5.9xlarge": 1.53, "c5.18xlarge": 3.06,
    "c5n.large": 0.108, "c5n.9xlarge": 1.944, "c5n.18xlarge": 3.888,
    "c6i.large": 0.085, "c6i.xlarge": 0.17, "c6i.32xlarge": 5.44,
    "m5.large": 0.096, "m5.xlarge": 0.192, "m5.2xlarge": 0.384,
    "m5.24xlarge": 4.608, "m6i.large": 0.096, "m6i.xlarge": 0.192,
    "m6i.32xlarge": 6.144, "r5.large": 0.126, "r5.xlarge": 0.252,
    "r5.24xlarge": 6.048, "g5.xlarge": 1.006, "g5.12xlarge": 5.672,
    "g5.48xlarge": 16.288, "p4d.24xlarge": 32.7726,
    "hpc6a.48xlarge": 2.88, "hpc7g.16xlarge": 1.6832, "c7g.large": 0.0725,
    "c6gn.16xlarge": 2.7648,
    "t4g.micro": 0.0084, "t4g.small": 0.0168, "t4g.medium": 0.0336,
}

# the rest of the baseline, us-east-1 list prices: (service, family,
# attributes, unit, USD)
OTHER = [
    ("AmazonEC2", "Storage", {"volumeApiName": "gp3",
                              "volumeType": "General Purpose",
                              "usagetype": "EBS:VolumeUsage.gp3"},
     "GB-Mo", 0.08),
    ("AmazonEC2", "Storage", {"volumeApiName": "gp2",
                              "volumeType": "General Purpose",
                              "usagetype": "EBS:VolumeUsage.gp2"},
     "GB-Mo", 0.10),
    ("AmazonEC2", "Storage", {"volumeApiName": "io2",
                              "volumeType": "Provisioned IOPS",
                              "usagetype": "EBS:VolumeUsage.io2"},
     "GB-Mo", 0.125),
    ("AmazonEC2", "NAT Gateway", {"group": "NGW:NatGateway",
                                  "usagetype": "NatGateway-Hours",
                                  "operation": "NatGateway"},
     "Hrs", 0.045),
    ("AmazonEFS", "Storage", {"storageClass": "General Purpose",
                              "usagetype": "TimedStorage-ByteHrs"},
     "GB-Mo", 0.30),
    ("AmazonEFS", "Storage", {"storageClass": "Infrequent Access",
                              "usagetype": "IATimedStorage-ByteHrs"},
     "GB-Mo", 0.016),
    ("AmazonVPC", "VPC Public IPv4 Address",
     {"group": "VPCPublicIPv4Address",
      "usagetype": "PublicIPv4:InUseAddress"}, "Hrs", 0.005),
    ("AWSELB", "Load Balancer-Application",
     {"groupDescription": "LoadBalancer hourly usage by Application Load "
      "Balancer", "operation": "LoadBalancing:Application",
      "usagetype": "LoadBalancerUsage"}, "Hrs", 0.0225),
    ("AWSELB", "Load Balancer-Application",
     {"groupDescription": "Used Application load balancer capacity "
      "units-hr", "operation": "LoadBalancing:Application",
      "usagetype": "LCUUsage"}, "LCU-Hrs", 0.008),
    ("AmazonES", "Amazon OpenSearch Service Instance",
     {"instanceType": "t3.small.search", "usagetype": "ESInstance:t3.small"},
     "Hrs", 0.036),
    ("AmazonES", "Amazon OpenSearch Service Instance",
     {"instanceType": "t3.medium.search",
      "usagetype": "ESInstance:t3.medium"}, "Hrs", 0.072),
    ("AmazonES", "Amazon OpenSearch Service Instance",
     {"instanceType": "m6g.large.search",
      "usagetype": "ESInstance:m6g.large"}, "Hrs", 0.128),
    ("AmazonES", "Amazon OpenSearch Service Instance",
     {"instanceType": "r6g.large.search",
      "usagetype": "ESInstance:r6g.large"}, "Hrs", 0.167),
    ("AmazonES", "Amazon OpenSearch Service Volume",
     {"storageMedia": "GP3", "usagetype": "ES:GP3-Storage"}, "GB-Mo", 0.122),
] + [
    # FSx for Lustre SSD storage: one product per deployment option and,
    # for the persistent ones, per throughput tier (MB/s/TiB), which FSx
    # prices apart; scratch file systems have the one tier, 200
    ("AmazonFSx", "Storage",
     {"fileSystemType": "Lustre", "deploymentOption": opt,
      "storageType": "SSD", "throughputCapacity": str(tp),
      "operation": "CreateFileSystem:Lustre",
      "usagetype": "Lustre-Storage-SSD-%s-%d" % (opt, tp)}, "GB-Mo", usd)
    for opt, tp, usd in (
        ("Scratch_1", 200, 0.14), ("Scratch_2", 200, 0.14),
        ("Persistent_1", 50, 0.145), ("Persistent_1", 100, 0.21),
        ("Persistent_1", 200, 0.29), ("Persistent_2", 125, 0.145),
        ("Persistent_2", 250, 0.21), ("Persistent_2", 500, 0.34),
        ("Persistent_2", 1000, 0.60))
]

# usage types carry a region prefix everywhere but us-east-1
# (USE2-LoadBalancerUsage), as in the real price list
USAGE_PREFIX = {"us-east-1": "", "us-east-2": "USE2-", "us-west-2": "USW2-",
                "eu-west-1": "EU-"}


def _other_products(region, service):
    for svc, family, extra, unit, usd in OTHER:
        if svc != service:
            continue
        attrs = dict(extra, servicecode=svc, regionCode=region,
                     location=LOCATIONS.get(region, region),
                     locationType="AWS Region")
        if svc in ("AWSELB", "AmazonES"):
            attrs["usagetype"] = USAGE_PREFIX.get(region, "") + \
                extra["usagetype"]
        sku = _sku(svc + family + extra["usagetype"], region)
        # the API filters on productFamily too, beside the attributes
        yield dict(attrs, productFamily=family), {
            "product": {"productFamily": family, "attributes": attrs,
                        "sku": sku},
            "serviceCode": svc,
            "terms": {"OnDemand": {"%s.%s" % (sku, OD_TERM): {
                "priceDimensions": {"%s.%s.%s" % (sku, OD_TERM, OD_RATE): {
                    "unit": unit, "endRange": "Inf", "beginRange": "0",
                    "description": "$%s per %s (%s)" % (
                        _usd(usd), unit, extra["usagetype"]),
                    "appliesTo": [],
                    "rateCode": "%s.%s.%s" % (sku, OD_TERM, OD_RATE),
                    "pricePerUnit": {"USD": "%.10f" % usd}}},
                "sku": sku, "effectiveDate": "2024-02-01T00:00:00Z",
                "offerTermCode": OD_TERM, "termAttributes": {}}}},
            "version": "20240201000000",
            "publicationDate": "2024-02-01T00:00:00Z",
        }

LOCATIONS = {"us-east-1": "US East (N. Virginia)",
             "us-east-2": "US East (Ohio)",
             "us-west-2": "US West (Oregon)",
             "eu-west-1": "EU (Ireland)"}

OD_TERM = "JRTCKXETXF"
OD_RATE = "6YS6EN2CT7"


def _sku(itype, region):
    h = 0
    for c in itype + region:
        h = (h * 131 + ord(c)) % (36 ** 16)
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    for _ in range(16):
        out = digits[h % 36] + out
        h //= 36
    return out


def _products(region):
    for itype, usd in ON_DEMAND.items():
        v, _, _, mib, arch = ec2data.type_facts(itype)
        net = ec2data.instance_type_info(itype)["NetworkInfo"][
            "NetworkPerformance"]
        sku = _sku(itype, region)
        attrs = {
            "servicecode": "AmazonEC2", "instanceType": itype,
            "instanceFamily": "Compute optimized" if itype[0] == "c" else
            "General purpose", "regionCode": region,
            "location": LOCATIONS.get(region, region),
            "locationType": "AWS Region", "operatingSystem": "Linux",
            "tenancy": "Shared", "preInstalledSw": "NA",
            "licenseModel": "No License required",
            "capacitystatus": "Used", "vcpu": str(v),
            "memory": "%g GiB" % (mib / 1024.0),
            "networkPerformance": net,
            "processorArchitecture": "64-bit" if arch == "x86_64" else
            "ARM64" if arch == "arm64" else arch,
            "usagetype": "BoxUsage:" + itype, "operation": "RunInstances",
            "marketoption": "OnDemand",
        }
        yield attrs, {
            "product": {"productFamily": "Compute Instance",
                        "attributes": attrs, "sku": sku},
            "serviceCode": "AmazonEC2",
            "terms": {"OnDemand": {"%s.%s" % (sku, OD_TERM): {
                "priceDimensions": {"%s.%s.%s" % (sku, OD_TERM, OD_RATE): {
                    "unit": "Hrs", "endRange": "Inf", "beginRange": "0",
                    "description": "$%s per On Demand Linux %s Instance "
                    "Hour" % (_usd(usd), itype),
                    "appliesTo": [],
                    "rateCode": "%s.%s.%s" % (sku, OD_TERM, OD_RATE),
                    "pricePerUnit": {"USD": "%.10f" % usd}}},
                "sku": sku, "effectiveDate": "2023-11-01T00:00:00Z",
                "offerTermCode": OD_TERM, "termAttributes": {}}}},
            "version": "20231101000000",
            "publicationDate": "2023-11-01T00:00:00Z",
        }


def _usd(x):
    return ("%.4f" % x).rstrip("0").rstrip(".")


def _page(items, p):
    start = 0
    if p.get("NextToken"):
        try:
            start = int(base64.b64decode(p["NextToken"]).decode())
        except ValueError:
            raise AwsError("InvalidNextTokenException", "The pagination "
                           "token is invalid. Try again without a "
                           "pagination token.")
    mr = p.get("MaxResults", 100)
    page = items[start:start + mr]
    nxt = None
    if start + mr < len(items):
        nxt = base64.b64encode(str(start + mr).encode()).decode()
    return page, nxt


def get_products(sim, p):
    services = {svc for svc, _, _, _, _ in OTHER} | {"AmazonEC2"}
    if p["ServiceCode"] not in services:
        raise AwsError("NotFoundException", "awsim prices only %s, not %s"
                       % (", ".join(sorted(services)), p["ServiceCode"]))
    if p.get("FormatVersion", "aws_v1") != "aws_v1":
        raise AwsError("InvalidParameterException", "Unsupported "
                       "FormatVersion %s" % p["FormatVersion"])
    out = []

    every = itertools.chain(
        _products(sim.region) if p["ServiceCode"] == "AmazonEC2" else (),
        _other_products(sim.region, p["ServiceCode"]))
    for attrs, doc in every:
        ok = True
        for f in p.get("Filters") or []:
            have = attrs.get(f["Field"])
            if have is None or have.lower() != f["Value"].lower():
                ok = False
                break
        if ok:
            out.append(json.dumps(doc))
    page, nxt = _page(out, p)
    res = {"FormatVersion": "aws_v1", "PriceList": page}
    if nxt:
        res["NextToken"] = nxt
    return res


def describe_services(sim, p):
    svcs = [{"ServiceCode": "AmazonEC2",
             "AttributeNames": ["instanceType", "regionCode", "location",
                                "operatingSystem", "tenancy",
                                "preInstalledSw", "capacitystatus", "vcpu",
                                "memory", "usagetype", "operation"]}]
    code = p.get("ServiceCode")
    if code:
        svcs = [s for s in svcs if s["ServiceCode"] == code]
    return {"Services": svcs, "FormatVersion": "aws_v1"}


PRICING_HANDLERS = {"GetProducts": get_products,
                    "DescribeServices": describe_services}
