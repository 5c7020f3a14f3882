#!/usr/bin/env bash
# A smoke test as people write them for DevStack: nothing in it knows about
# tenrec. It sources DevStack's openrc, looks up the networks, the cirros
# image and m1.tiny by the names DevStack gives them, and creates a server, a
# volume and a floating IP with the openstack CLI, then cleans up.
#
#   DEVSTACK_PATH=/opt/stack/devstack bash smoke.sh
set -euxo pipefail

source "$DEVSTACK_PATH/openrc" admin admin

IMAGE_NAME=$(openstack image list -f value -c Name | grep -m1 cirros)
PRIVATE_NET=$(openstack network show private -f value -c id)
PUBLIC_NET=$(openstack network show public -f value -c id)
openstack subnet show private-subnet -f value -c cidr
FLAVOR=$(openstack flavor show m1.tiny -f value -c id)

NAME=smoke-$$
openstack keypair create "$NAME" >/dev/null
openstack server create --image "$IMAGE_NAME" --flavor "$FLAVOR" --network "$PRIVATE_NET" --key-name "$NAME" --wait "$NAME"
test "$(openstack server show "$NAME" -f value -c status)" = ACTIVE

VOLUME_ID=$(openstack volume create --size 1 "$NAME" -f value -c id)
for _ in $(seq 60); do
  status=$(openstack volume show "$VOLUME_ID" -f value -c status)
  [ "$status" = available ] && break
  sleep 1
done
test "$status" = available
openstack server add volume "$NAME" "$VOLUME_ID"
for _ in $(seq 60); do
  status=$(openstack volume show "$VOLUME_ID" -f value -c status)
  [ "$status" = in-use ] && break
  sleep 1
done
test "$status" = in-use

FIP=$(openstack floating ip create "$PUBLIC_NET" -f value -c floating_ip_address)
openstack server add floating ip "$NAME" "$FIP"
openstack server show "$NAME" -f value -c addresses | grep -F "$FIP"

openstack server remove volume "$NAME" "$VOLUME_ID"
openstack server delete --wait "$NAME"
for _ in $(seq 60); do
  status=$(openstack volume show "$VOLUME_ID" -f value -c status)
  [ "$status" = available ] && break
  sleep 1
done
openstack volume delete "$VOLUME_ID"
openstack floating ip delete "$FIP"
openstack keypair delete "$NAME"
echo "SMOKE OK"
