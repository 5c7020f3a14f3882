/**
 * The API extensions tenrec's Neutron implements: `GET /v2.0/extensions`
 * lists exactly these, and clients check for an alias before they use a
 * feature. Keep it in step with what the code does.
 */
export interface Extension {
  alias: string;
  name: string;
  description: string;
}

export const EXTENSIONS: Extension[] = [
  { alias: "agent", name: "agent", description: "The agent management extension." },
  { alias: "allowed-address-pairs", name: "Allowed Address Pairs", description: "Provides allowed address pairs" },
  { alias: "availability_zone", name: "Availability Zone", description: "The availability zone extension." },
  { alias: "binding", name: "Port Binding", description: "Expose port bindings of a virtual port to external application" },
  { alias: "external-net", name: "Neutron external network", description: "Adds external network attribute to network resource." },
  { alias: "ext-gw-mode", name: "Neutron L3 Configurable external gateway mode", description: "Extension of the router abstraction for specifying whether SNAT should occur on the external gateway" },
  { alias: "extra_dhcp_opt", name: "Neutron Extra DHCP options", description: "Extra options configuration for DHCP. For example PXE boot options to DHCP clients can be specified (e.g. tftp-server, server-ip-address, bootfile-name)" },
  { alias: "extraroute", name: "Neutron Extra Route", description: "Extra routes configuration for L3 router" },
  { alias: "fip-port-details", name: "Floating IP Port Details Extension", description: "Add port_details attribute to Floating IP resource" },
  { alias: "ip-substring-filtering", name: "IP address substring filtering", description: "Provides IP address substring filtering when listing ports" },
  { alias: "net-mtu", name: "Network MTU", description: "Provides MTU attribute for a network resource." },
  { alias: "network_availability_zone", name: "Network Availability Zone", description: "Availability zone support for network." },
  { alias: "pagination", name: "Pagination support", description: "Extension that indicates that pagination is enabled." },
  { alias: "port-security", name: "Port Security", description: "Provides port security" },
  { alias: "project-id", name: "project_id field enabled", description: "Extension that indicates that project_id field is enabled." },
  { alias: "provider", name: "Provider Network", description: "Expose mapping of virtual networks to physical networks" },
  { alias: "quotas", name: "Quota management support", description: "Expose functions for quotas management per project" },
  { alias: "quota_details", name: "Quota details management support", description: "Expose functions for quotas usage statistics per project" },
  { alias: "router", name: "Neutron L3 Router", description: "Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway." },
  { alias: "router_availability_zone", name: "Router Availability Zone", description: "Availability zone support for router." },
  { alias: "security-group", name: "security-group", description: "The security groups extension." },
  { alias: "service-type", name: "Neutron Service Type Management", description: "API for retrieving service providers for Neutron advanced services" },
  { alias: "sorting", name: "Sorting support", description: "Extension that indicates that sorting is enabled." },
  { alias: "standard-attr-description", name: "standard-attr-description", description: "Extension to add descriptions to standard attributes" },
  { alias: "standard-attr-revisions", name: "Resource revision numbers", description: "This extension will display the revision number of neutron resources." },
  { alias: "standard-attr-tag", name: "Tag support for resources with standard attribute: subnet, trunk, network_segment_range, router, network, policy, subnetpool, port, security_group, floatingip", description: "Enables to set tag on resources with standard attribute." },
  { alias: "standard-attr-timestamp", name: "Resource timestamps", description: "Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes." },
  { alias: "stateful-security-group", name: "Stateful security group", description: "Indicates if the security group is stateful or not" },
  { alias: "tag", name: "Tag support", description: "Enables to set tag on resources." },
];

export function extensionView(e: Extension) {
  return { name: e.name, alias: e.alias, description: e.description, updated: "2013-01-20T00:00:00-00:00", links: [] };
}
