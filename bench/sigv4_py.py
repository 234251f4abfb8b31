# sigv4_py.py: signatures per second of botocore's SigV4Auth and of
# awscrt's aws_sign_request (AWS's C signer) on the same request as
# bench/sigv4.c.  Run with /usr/bin/python3: `sigv4_py.py botocore|awscrt SECS`.
import datetime
import sys
import time

BODY = (b"Action=DescribeInstances&Version=2016-11-15"
        b"&Filter.1.Name=instance-state-name&Filter.1.Value.1=running")
HOST = "ec2.us-east-1.amazonaws.com"
CT = "application/x-www-form-urlencoded; charset=utf-8"
AK, SK = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


def botocore_signer():
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    creds = Credentials(AK, SK)

    def one():
        r = AWSRequest(method="POST", url="https://%s/" % HOST, data=BODY,
                       headers={"Content-Type": CT})
        SigV4Auth(creds, "ec2", "us-east-1").add_auth(r)
    return one


def awscrt_signer():
    from awscrt import auth, http
    provider = auth.AwsCredentialsProvider.new_static(AK, SK)
    when = datetime.datetime(2015, 8, 30, 12, 36, tzinfo=datetime.timezone.utc)

    def one():
        cfg = auth.AwsSigningConfig(
            algorithm=auth.AwsSigningAlgorithm.V4,
            signature_type=auth.AwsSignatureType.HTTP_REQUEST_HEADERS,
            credentials_provider=provider, region="us-east-1",
            service="ec2", date=when)
        req = http.HttpRequest("POST", "/", http.HttpHeaders(
            [("Host", HOST), ("Content-Type", CT),
             ("Content-Length", str(len(BODY)))]),
            body_stream=__import__("io").BytesIO(BODY))
        auth.aws_sign_request(req, cfg).result()
    return one


def main():
    which, secs = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 2
    one = botocore_signer() if which == "botocore" else awscrt_signer()
    n, t0 = 0, time.perf_counter()
    while True:
        for _ in range(200):
            one()
        n += 200
        t = time.perf_counter() - t0
        if t >= secs:
            break
    print("%.0f" % (n / t))


main()
