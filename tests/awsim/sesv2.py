# sesv2.py: Amazon SES v2 SendEmail (REST-JSON, signing name ses), the
# way soca's job mail uses it: a raw MIME message, kept in memory so
# tests can read what was sent (GET /_awsim/ses).  Parameters are
# validated against botocore's sesv2 model by the server first; here the
# raw message must decode and carry From, To and Subject headers, and
# every Destination address must be one of the message's recipients.

import base64
import email
import email.policy

from wire import AwsError


class SesState:
    def __init__(self):
        self.sent = []       # {"MessageId", "From", "To", "Raw"}


def send_email(sim, p):
    st = sim.ses
    raw = p.get("Content", {}).get("Raw")
    if raw is None:
        raise AwsError("BadRequestException", "awsim: only Raw content is "
                       "served (soca sends a whole MIME message)")
    try:
        data = base64.b64decode(raw["Data"], validate=True)
    except (ValueError, TypeError):
        raise AwsError("BadRequestException", "Raw.Data is not base64")
    msg = email.message_from_bytes(data, policy=email.policy.default)
    for h in ("From", "To", "Subject"):
        if msg[h] is None:
            raise AwsError("BadRequestException", "Illegal header: "
                           "the raw message has no %s" % h)
    to = p.get("Destination", {}).get("ToAddresses", [])
    if not to:
        raise AwsError("BadRequestException", "Missing final '@domain'")
    for a in to:
        if "@" not in a:
            raise AwsError("BadRequestException", "Missing final '@domain'"
                           ": %s" % a)
    mid = sim.hexid("0100", 32)
    st.sent.append({"MessageId": mid, "From": p.get("FromEmailAddress"),
                    "To": to, "Raw": data.decode("utf-8", "replace")})
    return {"MessageId": mid}


HANDLERS = {"SendEmail": send_email}
