# billing.py: what awsim's EC2 instances cost, and the services that
# report it: Cost Explorer GetCostAndUsage, Budgets DescribeBudgets /
# DescribeBudget with CalculatedSpend, EC2 DescribeSpotPriceHistory.
#
# Every instance accrues its hourly price (pricing.ON_DEMAND, or the Spot
# price below for Spot instances) from LaunchTime to its termination (or
# the simulated now), per second.  Like AWS, reports lag: costs accrued in
# the last `hours` simulated hours (POST /_awsim/costlag) are not yet
# reported, by Cost Explorer nor by Budgets.  Daily amounts set with POST
# /_awsim/costs are added (unlagged) as costs with no tags and no
# instance type.  Cost Explorer pages hold `page_size` groups.
# Tag group keys look as AWS writes them: "soca:JobProject$cfd", and
# "soca:JobProject$" for costs without that tag.

import base64
import datetime

import ec2data
import pricing
from wire import AwsError

UTC = datetime.timezone.utc
METRICS = ("AmortizedCost", "BlendedCost", "NetAmortizedCost",
           "NetUnblendedCost", "NormalizedUsageAmount", "UnblendedCost",
           "UsageQuantity")
DIMENSIONS = ("INSTANCE_TYPE", "SERVICE", "REGION", "USAGE_TYPE",
              "PURCHASE_TYPE", "LINKED_ACCOUNT")
EC2_SERVICE = "Amazon Elastic Compute Cloud - Compute"
DEFAULT_PAGE = 50


def spot_price(sim, itype, az=None):
    """Spot $/h: a fixed share of On-Demand per AZ, or a control override."""
    over = sim.svc.spot.get(itype)
    if over is not None:
        return over
    od = pricing.ON_DEMAND.get(itype)
    if od is None:
        return None
    share = 0.30
    if az:
        share += 0.02 * (ord(az[-1]) - ord("a"))
    return round(od * share, 6)


def hourly(sim, inst):
    if inst["lifecycle"] == "spot":
        return spot_price(sim, inst["type"], inst["az"]) or 0.0
    return pricing.ON_DEMAND.get(inst["type"], 0.0)


def cutoff(sim):
    """Costs accrued before this simulated time are reported."""
    return sim.now() - sim.svc.lag_hours * 3600.0


def _epoch(d):
    return datetime.datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()


def _items(sim, a, b):
    """(tags, itype, usd, hours) accrued in [a, b), reported ones only."""
    out = []
    for day, usd in sim.svc.costs.items():
        if a <= _epoch(datetime.date.fromisoformat(day)) < b:
            out.append(({}, None, usd, 0.0))
    b = min(b, cutoff(sim))
    for i in sim.ec2.instances.values():
        end = i["terminate_at"] if i["terminate_at"] is not None else b
        lo, hi = max(a, i["launch"]), min(b, end)
        if hi > lo:
            h = (hi - lo) / 3600.0
            out.append((i["tags"], i["type"], h * hourly(sim, i), h))
    return out


def _group_key(g, tags, itype, sim):
    if g["Type"] == "TAG":
        return "%s$%s" % (g["Key"], tags.get(g["Key"], ""))
    k = g["Key"]
    if k == "INSTANCE_TYPE":
        return itype or "NoInstanceType"
    if k == "SERVICE":
        return EC2_SERVICE if itype else "Tax"
    if k == "REGION":
        return sim.region
    if k == "USAGE_TYPE":
        return "BoxUsage:" + itype if itype else "NoUsageType"
    if k == "PURCHASE_TYPE":
        return "On Demand Instances"
    return ec2data.ACCOUNT


def _tag_match(expr, tags, itype):
    """A Filter expression: Tags, Dimensions, And, Or, Not."""
    if "And" in expr:
        return all(_tag_match(e, tags, itype) for e in expr["And"])
    if "Or" in expr:
        return any(_tag_match(e, tags, itype) for e in expr["Or"])
    if "Not" in expr:
        return not _tag_match(expr["Not"], tags, itype)
    if "Tags" in expr:
        t = expr["Tags"]
        have = tags.get(t.get("Key", ""))
        vals = t.get("Values") or []
        if "ABSENT" in (t.get("MatchOptions") or []):
            return have is None or have in vals
        return have is not None and (not vals or have in vals)
    if "Dimensions" in expr:
        d = expr["Dimensions"]
        if d.get("Key") == "INSTANCE_TYPE":
            return itype in (d.get("Values") or [])
        if d.get("Key") == "SERVICE":
            return (EC2_SERVICE if itype else "Tax") in d.get("Values", [])
        return True
    raise AwsError("ValidationException", "awsim supports Filter "
                   "expressions of Tags, Dimensions, And, Or and Not")


# ---- Cost Explorer ----

def _day(s, what):
    try:
        return datetime.date.fromisoformat(s)
    except ValueError:
        raise AwsError("ValidationException", "%s date '%s' is not in "
                       "YYYY-MM-DD format" % (what, s))


def _periods(start, end, gran):
    d = start
    while d < end:
        if gran == "MONTHLY":
            nxt = (d.replace(day=1) + datetime.timedelta(days=32)).replace(
                day=1)
        else:
            nxt = d + datetime.timedelta(days=1)
        nxt = min(nxt, end)
        yield d, nxt
        d = nxt


def _amounts(metrics, usd, hours):
    return {m: {"Amount": "%.10g" % (hours if m in (
        "UsageQuantity", "NormalizedUsageAmount") else usd),
        "Unit": "Hrs" if m in ("UsageQuantity", "NormalizedUsageAmount")
        else "USD"} for m in metrics}


def _check_groupby(groups):
    if len(groups) > 2:
        raise AwsError("ValidationException", "You can only group by up to "
                       "two different dimensions or tags")
    for g in groups:
        if g.get("Type") not in ("TAG", "DIMENSION", "COST_CATEGORY") or \
                not g.get("Key"):
            raise AwsError("ValidationException", "GroupBy needs a Type "
                           "(DIMENSION, TAG, COST_CATEGORY) and a Key")
        if g["Type"] == "DIMENSION" and g["Key"] not in DIMENSIONS:
            raise AwsError("ValidationException", "Invalid group by "
                           "dimension key: %s" % g["Key"])
        if g["Type"] == "COST_CATEGORY":
            raise AwsError("ValidationException", "awsim has no cost "
                           "categories")


def _page_token(p):
    if not p.get("NextPageToken"):
        return 0
    try:
        return int(base64.b64decode(p["NextPageToken"]).decode())
    except ValueError:
        raise AwsError("ValidationException", "Invalid NextPageToken")


def get_cost_and_usage(sim, p):
    tp = p["TimePeriod"]
    start, end = _day(tp["Start"], "Start"), _day(tp["End"], "End")
    if start >= end:
        raise AwsError("ValidationException", "Start date (and hour) should "
                       "be before end date (and hour)")
    gran = p["Granularity"]
    if gran == "HOURLY":
        raise AwsError("ValidationException", "Hourly granularity is not "
                       "enabled for this account")
    metrics = p["Metrics"]
    if not metrics:
        raise AwsError("ValidationException", "Metrics cannot be empty")
    for m in metrics:
        if m not in METRICS:
            raise AwsError("ValidationException", "Metrics are not valid. "
                           "Valid metrics are %s" % ", ".join(METRICS))
    groups = p.get("GroupBy") or []
    _check_groupby(groups)
    flt = p.get("Filter")
    today = datetime.datetime.fromtimestamp(sim.now(), UTC).date()
    rows = []       # (period, keys or None, usd, hours)
    for a, b in _periods(start, end, gran):
        acc = {}
        for tags, itype, usd, hours in _items(sim, _epoch(a), _epoch(b)):
            if flt and not _tag_match(flt, tags, itype):
                continue
            k = tuple(_group_key(g, tags, itype, sim) for g in groups)
            u, h = acc.get(k, (0.0, 0.0))
            acc[k] = (u + usd, h + hours)
        per = (a, b)
        if not groups:
            u, h = acc.get((), (0.0, 0.0))
            rows.append((per, None, u, h))
        elif not acc:
            rows.append((per, (), 0.0, 0.0))
        for k in sorted(acc) if groups else []:
            rows.append((per, k, acc[k][0], acc[k][1]))
    first = _page_token(p)
    size = sim.svc.page_size
    page = rows[first:first + size]
    res = []
    for per, k, usd, hours in page:
        if not res or res[-1]["_per"] != per:
            res.append({"_per": per, "TimePeriod": {
                "Start": per[0].isoformat(), "End": per[1].isoformat()},
                "Total": {}, "Groups": [], "Estimated": per[1] > today})
        if k is None:
            res[-1]["Total"] = _amounts(metrics, usd, hours)
        elif k:
            res[-1]["Groups"].append({"Keys": list(k), "Metrics":
                                      _amounts(metrics, usd, hours)})
    for r in res:
        del r["_per"]
    out = {"ResultsByTime": res, "DimensionValueAttributes": [],
           "GroupDefinitions": groups}
    if first + size < len(rows):
        out["NextPageToken"] = base64.b64encode(
            str(first + size).encode()).decode()
    return out


CE_HANDLERS = {"GetCostAndUsage": get_cost_and_usage}


# ---- Budgets ----

def _period(sim, unit):
    now = datetime.datetime.fromtimestamp(sim.now(), UTC)
    d = now.date()
    if unit == "DAILY":
        a, b = d, d + datetime.timedelta(days=1)
    elif unit == "QUARTERLY":
        a = d.replace(month=(d.month - 1) // 3 * 3 + 1, day=1)
        b = (a + datetime.timedelta(days=95)).replace(day=1)
    elif unit == "ANNUALLY":
        a, b = d.replace(month=1, day=1), d.replace(year=d.year + 1,
                                                    month=1, day=1)
    else:
        a = d.replace(day=1)
        b = (a + datetime.timedelta(days=32)).replace(day=1)
    return _epoch(a), _epoch(b)


def _filter_match(cf, tags, itype):
    for k, vals in (cf or {}).items():
        if k == "TagKeyValue":
            ok = False
            for v in vals:
                key, _, val = v.partition("$")
                if key.startswith("user:"):
                    key = key[len("user:"):]
                if tags.get(key) == val or (val == "" and key not in tags):
                    ok = True
            if not ok:
                return False
        elif k == "InstanceType":
            if itype not in vals:
                return False
        elif k == "Service":
            if (EC2_SERVICE if itype else "Tax") not in vals:
                return False
    return True


def _burn(sim, cf):
    """$/h of the running instances a budget's filters match."""
    total = 0.0
    for i in sim.ec2.instances.values():
        if i["terminate_at"] is None and _filter_match(cf, i["tags"],
                                                       i["type"]):
            total += hourly(sim, i)
    return total


def calculated(sim, b):
    """The budget with its spend as Budgets would report it now."""
    out = dict(b)
    if b["BudgetName"] in sim.svc.fixed_spend:
        return out
    a, e = _period(sim, b.get("TimeUnit", "MONTHLY"))
    cf = b.get("CostFilters")
    actual = sum(usd for tags, itype, usd, _ in _items(sim, a, e)
                 if _filter_match(cf, tags, itype))
    left = max(0.0, e - max(cutoff(sim), a)) / 3600.0
    forecast = actual + _burn(sim, cf) * left
    out["CalculatedSpend"] = {
        "ActualSpend": {"Amount": "%.10g" % actual, "Unit": "USD"},
        "ForecastedSpend": {"Amount": "%.10g" % forecast, "Unit": "USD"}}
    # TimePeriod stays the budget's own span (default 2024 to 2087), as
    # in AWS: the spend is of the TimeUnit period holding now
    return out


def describe_budgets(sim, p):
    items = sim.svc.budgets
    start = 0
    if p.get("NextToken"):
        try:
            start = int(base64.b64decode(p["NextToken"]).decode())
        except ValueError:
            raise AwsError("InvalidNextTokenException", "Invalid NextToken")
    mr = p.get("MaxResults", 100)
    if not 1 <= mr <= 100:
        raise AwsError("InvalidParameterException", "MaxResults must be "
                       "between 1 and 100")
    page = [calculated(sim, b) for b in items[start:start + mr]]
    out = {"Budgets": page}
    if start + mr < len(items):
        out["NextToken"] = base64.b64encode(str(start + mr).encode()).decode()
    return out


def describe_budget(sim, p):
    for b in sim.svc.budgets:
        if b["BudgetName"] == p["BudgetName"]:
            return {"Budget": calculated(sim, b)}
    raise AwsError("NotFoundException", "Unable to get budget: %s - the "
                   "budget doesn't exist." % p["BudgetName"])


BUDGETS_HANDLERS = {"DescribeBudgets": describe_budgets,
                    "DescribeBudget": describe_budget}


# ---- EC2 DescribeSpotPriceHistory ----

def describe_spot_price_history(sim, p):
    types = p.get("InstanceTypes") or sorted(pricing.ON_DEMAND)
    prods = p.get("ProductDescriptions") or ["Linux/UNIX"]
    zones = ec2data.zones(sim.region)
    if p.get("AvailabilityZone"):
        zones = [z for z in zones if z == p["AvailabilityZone"]]
    for f in p.get("Filters") or []:
        vals = f.get("Values") or []
        if f.get("Name") == "availability-zone":
            zones = [z for z in zones if z in vals]
        elif f.get("Name") == "instance-type":
            types = [t for t in types if t in vals]
        elif f.get("Name") == "product-description":
            prods = [x for x in prods if x in vals]
        else:
            raise AwsError("InvalidParameterValue", "The filter '%s' is "
                           "invalid" % f.get("Name"))
    # one price point per type and zone, set at the start of the day
    stamp = sim.now() - sim.now() % 86400
    items = []
    for t in types:
        if t not in pricing.ON_DEMAND:
            continue
        for z in zones:
            for prod in prods:
                if prod not in ("Linux/UNIX", "Linux/UNIX (Amazon VPC)"):
                    continue
                items.append({"AvailabilityZone": z, "InstanceType": t,
                              "ProductDescription": prod,
                              "SpotPrice": "%.6f" % spot_price(sim, t, z),
                              "Timestamp": stamp})
    start = 0
    if p.get("NextToken"):
        try:
            start = int(base64.b64decode(p["NextToken"]).decode())
        except ValueError:
            raise AwsError("InvalidNextToken", "The token is invalid")
    mr = p.get("MaxResults") or 1000
    if not 5 <= mr <= 1000:
        raise AwsError("InvalidParameterValue", "MaxResults must be between "
                       "5 and 1000")
    out = {"SpotPriceHistory": items[start:start + mr], "NextToken": ""}
    if start + mr < len(items):
        out["NextToken"] = base64.b64encode(str(start + mr).encode()).decode()
    return out
