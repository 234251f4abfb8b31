# ec2data.py: the fixed EC2 catalogue awsim serves: instance types (a
# realistic subset with vCPU, core, thread, memory, network, EFA and GPU
# figures as DescribeInstanceTypes gives them), AMIs (including ones named
# for soca's base_os values) and a default VPC with one subnet per AZ.
# Figures follow the public instance type pages; they are test data, not
# a price list.  Everything is returned in botocore output-shape form.

ACCOUNT = "123456789012"

# name -> (vcpus, cores, threads/core, MiB, network, efa interfaces, arch,
#        (gpu count, gpu name, gpu MiB each) or None, GHz)
_TYPES = {
    "t3.micro": (2, 1, 2, 1024, "Up to 5 Gigabit", 0, "x86_64", None, 2.5),
    "t4g.micro": (2, 2, 1, 1024, "Up to 5 Gigabit", 0, "arm64", None, 2.5),
    "t4g.small": (2, 2, 1, 2048, "Up to 5 Gigabit", 0, "arm64", None, 2.5),
    "t4g.medium": (2, 2, 1, 4096, "Up to 5 Gigabit", 0, "arm64", None, 2.5),
    "t3.small": (2, 1, 2, 2048, "Up to 5 Gigabit", 0, "x86_64", None, 2.5),
    "t3.medium": (2, 1, 2, 4096, "Up to 5 Gigabit", 0, "x86_64", None, 2.5),
    "t3.large": (2, 1, 2, 8192, "Up to 5 Gigabit", 0, "x86_64", None, 2.5),
    "t3.xlarge": (4, 2, 2, 16384, "Up to 5 Gigabit", 0, "x86_64", None,
                  2.5),
    "t3.2xlarge": (8, 4, 2, 32768, "Up to 5 Gigabit", 0, "x86_64", None,
                   2.5),
    "c5.large": (2, 1, 2, 4096, "Up to 10 Gigabit", 0, "x86_64", None, 3.4),
    "c5.xlarge": (4, 2, 2, 8192, "Up to 10 Gigabit", 0, "x86_64", None, 3.4),
    "c5.2xlarge": (8, 4, 2, 16384, "Up to 10 Gigabit", 0, "x86_64", None,
                   3.4),
    "c5.4xlarge": (16, 8, 2, 32768, "Up to 10 Gigabit", 0, "x86_64", None,
                   3.4),
    "c5.9xlarge": (36, 18, 2, 73728, "12 Gigabit", 0, "x86_64", None, 3.4),
    "c5.18xlarge": (72, 36, 2, 147456, "25 Gigabit", 0, "x86_64", None, 3.4),
    "c5n.large": (2, 1, 2, 5376, "Up to 25 Gigabit", 0, "x86_64", None, 3.4),
    "c5n.9xlarge": (36, 18, 2, 98304, "50 Gigabit", 1, "x86_64", None, 3.4),
    "c5n.18xlarge": (72, 36, 2, 196608, "100 Gigabit", 1, "x86_64", None,
                     3.4),
    "c6i.large": (2, 1, 2, 4096, "Up to 12.5 Gigabit", 0, "x86_64", None,
                  3.5),
    "c6i.xlarge": (4, 2, 2, 8192, "Up to 12.5 Gigabit", 0, "x86_64", None,
                   3.5),
    "c6i.32xlarge": (128, 64, 2, 262144, "50 Gigabit", 1, "x86_64", None,
                     3.5),
    "m5.large": (2, 1, 2, 8192, "Up to 10 Gigabit", 0, "x86_64", None, 3.1),
    "m5.xlarge": (4, 2, 2, 16384, "Up to 10 Gigabit", 0, "x86_64", None,
                  3.1),
    "m5.2xlarge": (8, 4, 2, 32768, "Up to 10 Gigabit", 0, "x86_64", None,
                   3.1),
    "m5.24xlarge": (96, 48, 2, 393216, "25 Gigabit", 0, "x86_64", None, 3.1),
    "m6i.large": (2, 1, 2, 8192, "Up to 12.5 Gigabit", 0, "x86_64", None,
                  3.5),
    "m6i.xlarge": (4, 2, 2, 16384, "Up to 12.5 Gigabit", 0, "x86_64", None,
                   3.5),
    "m6i.32xlarge": (128, 64, 2, 524288, "50 Gigabit", 1, "x86_64", None,
                     3.5),
    "r5.large": (2, 1, 2, 16384, "Up to 10 Gigabit", 0, "x86_64", None, 3.1),
    "r5.xlarge": (4, 2, 2, 32768, "Up to 10 Gigabit", 0, "x86_64", None,
                  3.1),
    "r5.24xlarge": (96, 48, 2, 786432, "25 Gigabit", 0, "x86_64", None, 3.1),
    "g5.xlarge": (4, 2, 2, 16384, "Up to 10 Gigabit", 0, "x86_64",
                  (1, "A10G", 24576), 3.3),
    "g5.12xlarge": (48, 24, 2, 196608, "40 Gigabit", 0, "x86_64",
                    (4, "A10G", 24576), 3.3),
    "g5.48xlarge": (192, 96, 2, 786432, "100 Gigabit", 1, "x86_64",
                    (8, "A10G", 24576), 3.3),
    "p4d.24xlarge": (96, 48, 2, 1179648, "4x 100 Gigabit", 4, "x86_64",
                     (8, "A100", 40960), 3.0),
    "hpc6a.48xlarge": (96, 96, 1, 393216, "100 Gigabit", 1, "x86_64", None,
                       3.6),
    "hpc7g.16xlarge": (64, 64, 1, 131072, "200 Gigabit", 1, "arm64", None,
                       2.6),
    "c7g.large": (2, 2, 1, 4096, "Up to 12.5 Gigabit", 0, "arm64", None,
                  2.6),
    "c6gn.16xlarge": (64, 64, 1, 131072, "100 Gigabit", 1, "arm64", None,
                      2.5),
}


def instance_type_names():
    return list(_TYPES)


def type_facts(name):
    """(vcpus, cores, threads, MiB, arch) or None."""
    t = _TYPES.get(name)
    if t is None:
        return None
    return t[0], t[1], t[2], t[3], t[6]


def instance_type_info(name):
    v, c, tpc, mib, net, efa, arch, gpu, ghz = _TYPES[name]
    family = name.split(".")[0]
    big = not ("large" in name.split(".")[1] and name.split(".")[1] in (
        "large", "xlarge") or family.startswith("t"))
    info = {
        "InstanceType": name,
        "CurrentGeneration": True,
        "FreeTierEligible": name == "t3.micro",
        "SupportedUsageClasses": ["on-demand", "spot"],
        "SupportedRootDeviceTypes": ["ebs"],
        "SupportedVirtualizationTypes": ["hvm"],
        "BareMetal": False,
        "Hypervisor": "nitro",
        "ProcessorInfo": {"SupportedArchitectures": [arch],
                          "SustainedClockSpeedInGhz": ghz},
        "VCpuInfo": {"DefaultVCpus": v, "DefaultCores": c,
                     "DefaultThreadsPerCore": tpc,
                     "ValidCores": list(range(1, c + 1)) if c <= 8 else
                     [c // 4, c // 2, c],
                     "ValidThreadsPerCore": [1, 2] if tpc == 2 else [1]},
        "MemoryInfo": {"SizeInMiB": mib},
        "InstanceStorageSupported": False,
        "EbsInfo": {"EbsOptimizedSupport": "default",
                    "EncryptionSupport": "supported",
                    "NvmeSupport": "required"},
        "NetworkInfo": {
            "NetworkPerformance": net,
            "MaximumNetworkInterfaces": 4 if v <= 4 else 15,
            "MaximumNetworkCards": 4 if efa >= 4 else 1,
            "DefaultNetworkCardIndex": 0,
            "Ipv4AddressesPerInterface": 10 if v <= 4 else 50,
            "Ipv6AddressesPerInterface": 10 if v <= 4 else 50,
            "Ipv6Supported": True,
            "EnaSupport": "required",
            "EfaSupported": efa > 0,
            "EncryptionInTransitSupported": True,
        },
        "PlacementGroupInfo": {"SupportedStrategies":
                               ["cluster", "partition", "spread"]
                               if big or efa else ["partition", "spread"]},
        "HibernationSupported": hibernation_supported(name),
        "BurstablePerformanceSupported": family.startswith("t"),
        "DedicatedHostsSupported": not family.startswith("t"),
        "AutoRecoverySupported": True,
        "SupportedBootModes": ["uefi"] if arch == "arm64" else
        ["legacy-bios", "uefi"],
    }
    if efa:
        info["NetworkInfo"]["EfaInfo"] = {"MaximumEfaInterfaces": efa}
    if gpu:
        n, gname, gmib = gpu
        info["GpuInfo"] = {"Gpus": [{"Name": gname, "Manufacturer": "NVIDIA",
                                     "Count": n,
                                     "MemoryInfo": {"SizeInMiB": gmib}}],
                           "TotalGpuMemoryInMiB": n * gmib}
    return info


# ami id: (name, description, arch, base_os); RootDeviceName is /dev/xvda
# but for the images listed in _SDA1 (as Red Hat's and Canonical's are)
_IMAGES = {
    "ami-0a1b2c3d4e5f60001": ("amzn2-ami-hvm-2.0.20231116.0-x86_64-gp2",
                              "Amazon Linux 2 AMI", "x86_64",
                              "amazonlinux2"),
    "ami-0a1b2c3d4e5f60002": ("al2023-ami-2023.2.20231113.0-kernel-6.1-"
                              "x86_64", "Amazon Linux 2023 AMI", "x86_64",
                              "amazonlinux2023"),
    "ami-0a1b2c3d4e5f60003": ("al2023-ami-2023.2.20231113.0-kernel-6.1-"
                              "arm64", "Amazon Linux 2023 AMI (arm64)",
                              "arm64", "amazonlinux2023"),
    "ami-0a1b2c3d4e5f60004": ("RHEL-8.8.0_HVM-20230503-x86_64-54-Hourly2-"
                              "GP2", "Provided by Red Hat, Inc.", "x86_64",
                              "rhel8"),
    "ami-0a1b2c3d4e5f60005": ("Rocky-8-EC2-Base-8.8-20230518.0.x86_64",
                              "Rocky Linux 8", "x86_64", "rocky8"),
    "ami-0a1b2c3d4e5f60006": ("ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-"
                              "amd64-server-20231117",
                              "Canonical, Ubuntu, 22.04 LTS", "x86_64",
                              "ubuntu2204"),
    "ami-0a1b2c3d4e5f60007": ("CentOS-7-2111-20220825_1.x86_64",
                              "CentOS 7", "x86_64", "centos7"),
    "ami-0a1b2c3d4e5f60008": ("debian-12-amd64-20231013-1532",
                              "Debian 12 (20231013-1532)", "x86_64",
                              "debian12"),
}


_SDA1 = ("ami-0a1b2c3d4e5f60004", "ami-0a1b2c3d4e5f60006")


def image_ids():
    return list(_IMAGES)


def image_root_device(ami):
    return "/dev/sda1" if ami in _SDA1 else "/dev/xvda"


def image_arch(ami):
    return _IMAGES[ami][2]


def image_info(ami):
    name, desc, arch, base_os = _IMAGES[ami]
    root = image_root_device(ami)
    return {
        "ImageId": ami, "Name": name, "Description": desc,
        "ImageLocation": "%s/%s" % (ACCOUNT, name),
        "State": "available", "OwnerId": ACCOUNT,
        "CreationDate": "2023-11-17T00:00:00.000Z", "Public": True,
        "Architecture": arch, "ImageType": "machine",
        "RootDeviceType": "ebs", "RootDeviceName": root,
        "VirtualizationType": "hvm", "Hypervisor": "xen",
        "EnaSupport": True, "SriovNetSupport": "simple",
        "PlatformDetails": "Linux/UNIX", "UsageOperation": "RunInstances",
        "BlockDeviceMappings": [{
            "DeviceName": root,
            "Ebs": {"SnapshotId": "snap-" + ami[4:], "VolumeSize": 10,
                    "VolumeType": "gp3", "DeleteOnTermination": True,
                    "Encrypted": False}}],
        "Tags": [{"Key": "soca:base_os", "Value": base_os}],
    }


VPC_ID = "vpc-0f00dfeed0000a001"
_SUBNETS = [("a", "subnet-0a00000000000000a", "172.31.0.0/20", 0),
            ("b", "subnet-0b00000000000000b", "172.31.16.0/20", 16),
            ("c", "subnet-0c00000000000000c", "172.31.32.0/20", 32)]


def subnets(region):
    """[(subnet id, az, cidr, third octet base)]"""
    return [(sid, region + s, cidr, base) for s, sid, cidr, base in _SUBNETS]


def zones(region):
    return [region + s for s, _, _, _ in _SUBNETS]


def zone_id(region, az):
    return "use1-az%d" % (ord(az[-1]) - ord("a") + 1) \
        if region == "us-east-1" else "%s-az%d" % (region, ord(az[-1]) - 96)


def subnet_info(region, sid, az, cidr, used):
    return {
        "SubnetId": sid, "AvailabilityZone": az,
        "AvailabilityZoneId": zone_id(region, az),
        "AvailableIpAddressCount": 4091 - used, "CidrBlock": cidr,
        "DefaultForAz": True, "MapPublicIpOnLaunch": True,
        "State": "available", "VpcId": VPC_ID, "OwnerId": ACCOUNT,
        "SubnetArn": "arn:aws:ec2:%s:%s:subnet/%s" % (region, ACCOUNT, sid),
        "AssignIpv6AddressOnCreation": False,
        "Ipv6CidrBlockAssociationSet": [],
        "Tags": [],
    }


# Hibernation (issue 14): the families EC2 hibernates, up to 150 GiB of RAM
HIBERNATE_FAMILIES = ("t3", "c5", "c6i", "m5", "m6i", "r5")


def hibernation_supported(name):
    return name in _TYPES and name.split(".")[0] in HIBERNATE_FAMILIES \
        and _TYPES[name][3] <= 150 * 1024
