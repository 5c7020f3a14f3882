#!/usr/bin/python3
"""boto3 (Debian's python3-boto3) against tenrec's EC2 API: the SDK's own
waiters and paginators, as a Python user drives EC2. Run by ec2-cli.sh with
EC2_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AMI in the environment;
prints one line per check and exits non-zero on the first failure."""
import os
import sys

import boto3
import botocore.exceptions

ec2 = boto3.client(
    "ec2",
    endpoint_url=os.environ["EC2_URL"],
    region_name="RegionOne",
    aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
)
ami = os.environ["AMI"]
fast = {"Delay": 1, "MaxAttempts": 120}


def check(what, cond):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        sys.exit(1)


regions = [r["RegionName"] for r in ec2.describe_regions()["Regions"]]
check("describe_regions", regions == ["RegionOne"])
images = ec2.describe_images(ImageIds=[ami])["Images"]
check("describe_images by id", images and images[0]["State"] == "available")

run = ec2.run_instances(ImageId=ami, InstanceType="m1.tiny", MinCount=2, MaxCount=2,
                        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "boto3-vm"}]}])
ids = [i["InstanceId"] for i in run["Instances"]]
check("run_instances MinCount=MaxCount=2 in one reservation", len(ids) == 2 and run["ReservationId"].startswith("r-"))
ec2.get_waiter("instance_running").wait(InstanceIds=ids, WaiterConfig=fast)
check("waiter instance_running", True)

pages = list(ec2.get_paginator("describe_instances").paginate(
    Filters=[{"Name": "tag:Name", "Values": ["boto3-vm"]}], PaginationConfig={"PageSize": 5}))
found = sorted(i["InstanceId"] for p in pages for r in p["Reservations"] for i in r["Instances"])
check("describe_instances paginator with a tag filter", found == sorted(ids))

ec2.stop_instances(InstanceIds=ids[:1])
ec2.get_waiter("instance_stopped").wait(InstanceIds=ids[:1], WaiterConfig=fast)
check("waiter instance_stopped", True)

vol = ec2.create_volume(Size=1, AvailabilityZone="nova")["VolumeId"]
ec2.get_waiter("volume_available").wait(VolumeIds=[vol], WaiterConfig=fast)
ec2.attach_volume(VolumeId=vol, InstanceId=ids[1], Device="/dev/vdb")
ec2.get_waiter("volume_in_use").wait(VolumeIds=[vol], WaiterConfig=fast)
check("volume attached (waiters volume_available, volume_in_use)", True)
ec2.detach_volume(VolumeId=vol)
ec2.get_waiter("volume_available").wait(VolumeIds=[vol], WaiterConfig=fast)
ec2.delete_volume(VolumeId=vol)
check("volume detached and deleted", True)

try:
    ec2.describe_instances(InstanceIds=["i-0123456789abcdef0"])
    check("InvalidInstanceID.NotFound", False)
except botocore.exceptions.ClientError as e:
    check("ClientError InvalidInstanceID.NotFound", e.response["Error"]["Code"] == "InvalidInstanceID.NotFound")

ec2.terminate_instances(InstanceIds=ids)
ec2.get_waiter("instance_terminated").wait(InstanceIds=ids, WaiterConfig=fast)
check("waiter instance_terminated", True)
