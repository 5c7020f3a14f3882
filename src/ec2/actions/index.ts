/** Every action the EC2 API answers, by its Query API name. */
import type { Action } from "../common.ts";
import * as meta from "./meta.ts";
import * as images from "./images.ts";
import * as keypairs from "./keypairs.ts";
import * as instances from "./instances.ts";
import * as volumes from "./volumes.ts";
import * as groups from "./groups.ts";
import * as addresses from "./addresses.ts";
import * as vpcs from "./vpcs.ts";
import * as tags from "./tags.ts";

export const ACTIONS: Record<string, Action> = {
  DescribeRegions: meta.DescribeRegions,
  DescribeAvailabilityZones: meta.DescribeAvailabilityZones,
  DescribeAccountAttributes: meta.DescribeAccountAttributes,
  DescribeInstanceTypes: meta.DescribeInstanceTypes,
  DescribeImages: images.DescribeImages,
  DescribeImageAttribute: images.DescribeImageAttribute,
  CreateImage: images.CreateImage,
  DeregisterImage: images.DeregisterImage,
  CreateKeyPair: keypairs.CreateKeyPair,
  ImportKeyPair: keypairs.ImportKeyPair,
  DescribeKeyPairs: keypairs.DescribeKeyPairs,
  DeleteKeyPair: keypairs.DeleteKeyPair,
  RunInstances: instances.RunInstances,
  DescribeInstances: instances.DescribeInstances,
  DescribeInstanceStatus: instances.DescribeInstanceStatus,
  StartInstances: instances.StartInstances,
  StopInstances: instances.StopInstances,
  RebootInstances: instances.RebootInstances,
  TerminateInstances: instances.TerminateInstances,
  GetConsoleOutput: instances.GetConsoleOutput,
  CreateVolume: volumes.CreateVolume,
  DescribeVolumes: volumes.DescribeVolumes,
  AttachVolume: volumes.AttachVolume,
  DetachVolume: volumes.DetachVolume,
  DeleteVolume: volumes.DeleteVolume,
  CreateSnapshot: volumes.CreateSnapshot,
  DescribeSnapshots: volumes.DescribeSnapshots,
  DeleteSnapshot: volumes.DeleteSnapshot,
  CreateSecurityGroup: groups.CreateSecurityGroup,
  DescribeSecurityGroups: groups.DescribeSecurityGroups,
  AuthorizeSecurityGroupIngress: groups.AuthorizeSecurityGroupIngress,
  AuthorizeSecurityGroupEgress: groups.AuthorizeSecurityGroupEgress,
  RevokeSecurityGroupIngress: groups.RevokeSecurityGroupIngress,
  RevokeSecurityGroupEgress: groups.RevokeSecurityGroupEgress,
  DeleteSecurityGroup: groups.DeleteSecurityGroup,
  AllocateAddress: addresses.AllocateAddress,
  AssociateAddress: addresses.AssociateAddress,
  DisassociateAddress: addresses.DisassociateAddress,
  ReleaseAddress: addresses.ReleaseAddress,
  DescribeAddresses: addresses.DescribeAddresses,
  DescribeVpcs: vpcs.DescribeVpcs,
  DescribeSubnets: vpcs.DescribeSubnets,
  CreateTags: tags.CreateTags,
  DescribeTags: tags.DescribeTags,
  DeleteTags: tags.DeleteTags,
};

/** Real EC2 actions tenrec does not implement: UnsupportedOperation rather than InvalidAction. */
export const UNSUPPORTED = new Set([
  "CreateVpc", "DeleteVpc", "CreateSubnet", "DeleteSubnet", "ModifyVpcAttribute", "ModifySubnetAttribute",
  "CreateInternetGateway", "AttachInternetGateway", "DescribeInternetGateways", "CreateRouteTable", "DescribeRouteTables",
  "CreateNetworkInterface", "DescribeNetworkInterfaces", "DeleteNetworkInterface", "AttachNetworkInterface",
  "RegisterImage", "CopyImage", "ModifyImageAttribute", "ResetImageAttribute", "ModifyInstanceAttribute",
  "DescribeInstanceAttribute", "ResetInstanceAttribute", "MonitorInstances", "UnmonitorInstances", "GetPasswordData",
  "ModifyVolume", "CopySnapshot", "ModifySnapshotAttribute", "DescribeSnapshotAttribute", "DescribeVolumeAttribute",
  "DescribeVolumeStatus", "CreateLaunchTemplate", "DescribeLaunchTemplates", "DescribeSpotPriceHistory", "RequestSpotInstances",
  "DescribeDhcpOptions", "CreateDhcpOptions", "AssociateDhcpOptions", "CreatePlacementGroup", "DescribePlacementGroups",
]);
