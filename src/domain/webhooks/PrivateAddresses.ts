/*
 * Which IP addresses a webhook must never be delivered to: anything that is not the public internet (loopback, private
 * networks, link-local, where cloud metadata services answer, carrier-grade NAT, multicast, reserved). Delivering
 * there would let an organizer make our servers call our own network (server-side request forgery).
 */

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/

const ipv4Private = (a: number, b: number, c: number): boolean =>
  a === 0 || // this network
  a === 10 ||
  a === 127 ||
  (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
  (a === 169 && b === 254) || // link-local, cloud metadata (169.254.169.254)
  (a === 172 && b >= 16 && b <= 31) ||
  (a === 192 && b === 168) ||
  (a === 192 && b === 0 && (c === 0 || c === 2)) || // protocol assignments, documentation
  (a === 198 && (b === 18 || b === 19)) || // benchmarking
  (a === 198 && b === 51 && c === 100) || // documentation
  (a === 203 && b === 0 && c === 113) || // documentation
  a >= 224 // multicast, reserved, broadcast

/** Whether an IP address (v4, or v6 with or without brackets) is outside the public internet. */
export const isNonPublicAddress = (address: string): boolean => {
  const ip = address.replace(/^\[|\]$/g, "").toLowerCase()
  const v4 = IPV4.exec(ip)
  if (v4 !== null) return ipv4Private(Number(v4[1]), Number(v4[2]), Number(v4[3]))
  if (!ip.includes(":")) return false
  // IPv4-mapped and -compatible forms (::ffff:10.0.0.1, ::ffff:a00:1) judged as the IPv4 address they carry.
  const mapped = /^::(?:ffff:)?(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(ip)
  if (mapped?.[1] !== undefined) return isNonPublicAddress(mapped[1])
  // The same, as the URL parser writes them (::ffff:a00:1, ::a00:1).
  const hexMapped = /^::(?:ffff:)?([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(ip)
  if (hexMapped?.[1] !== undefined && hexMapped[2] !== undefined) {
    const high = Number.parseInt(hexMapped[1], 16)
    const low = Number.parseInt(hexMapped[2], 16)
    return ipv4Private(high >> 8, high & 0xff, low >> 8)
  }
  if (ip === "::" || ip === "::1") return true
  const first = Number.parseInt(ip.split(":")[0] || "0", 16)
  return (
    (first & 0xfe00) === 0xfc00 || // unique local fc00::/7
    (first & 0xffc0) === 0xfe80 || // link-local fe80::/10
    (first & 0xff00) === 0xff00 || // multicast
    (first === 0x2001 && ip.startsWith("2001:db8:")) // documentation
  )
}

/** Whether a URL's host is written as an IP address (rather than a name to resolve). */
export const isIpLiteral = (hostname: string): boolean => IPV4.test(hostname) || hostname.startsWith("[")
