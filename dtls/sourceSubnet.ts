/**
 * The network a source address belongs to, for the per-network cap on handshakes in progress:
 * the /24 of an IPv4 address (also IPv4-mapped IPv6), the /64 of an IPv6 address. Node gives
 * IPv6 sources in their compressed form (RFC 5952, "2001:db8::1"), so the first four groups are
 * read after expanding "::", or two addresses of one /64 would count as two networks.
 */
const IPV4_MAPPED = /^::ffff:(\d+\.\d+\.\d+)\.\d+$/i;
const IPV6_GROUPS = 8;

export function subnetOf(address: string): string {
  // A dotted quad as RemoteInfo gives it, without a regular expression: the common case, twice per handshake.
  if (!address.includes(':')) return `${address.slice(0, address.lastIndexOf('.'))}.0/24`;
  const mapped = IPV4_MAPPED.exec(address);
  if (mapped?.[1] !== undefined) return `${mapped[1]}.0/24`;
  return `${ipv6Groups(address).slice(0, 4).join(':')}::/64`;
}

/** The eight groups of an IPv6 address, lower case without leading zeros ("::" expanded, a zone dropped). */
function ipv6Groups(address: string): string[] {
  const [head = '', tail] = address.toLowerCase().split('%', 1)[0]?.split('::') ?? [];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  // An embedded IPv4 address (RFC 4291 §2.5.5) takes the last two groups.
  const tailWidth = tailGroups.reduce((width, group) => width + (group.includes('.') ? 2 : 1), 0);
  const zeros = tail === undefined ? 0 : Math.max(0, IPV6_GROUPS - headGroups.length - tailWidth);
  return [...headGroups, ...Array<string>(zeros).fill('0'), ...tailGroups].map((group) => (group.includes('.') ? group : group.replace(/^0+(?=.)/, '')));
}
