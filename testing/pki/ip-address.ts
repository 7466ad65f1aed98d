import { isIPv4, isIPv6 } from "node:net";

/** The 4 or 16 octets of an IPv4 or IPv6 address, as a subjectAltName iPAddress holds them. */
export function ipAddressBytes(address: string): Buffer {
  if (isIPv4(address)) return Buffer.from(address.split(".").map(Number));
  if (!isIPv6(address) || address.includes("%")) throw new TypeError(`Not an IP address: ${address}`);
  let text = address;
  let ipv4Tail: number[] = [];
  const embedded = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (embedded) {
    // "::ffff:192.0.2.1": parse the dotted tail separately, hold its place with two groups.
    ipv4Tail = (embedded[2] ?? "").split(".").map(Number);
    text = `${embedded[1]}0:0`;
  }
  const groups = (part: string): number[] => (part === "" ? [] : part.split(":").map((g) => Number.parseInt(g, 16)));
  const [head = "", tail] = text.split("::");
  const headGroups = groups(head);
  const tailGroups = tail === undefined ? [] : groups(tail);
  const zeros = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const all = [...headGroups, ...new Array<number>(zeros).fill(0), ...tailGroups];
  const bytes = Buffer.alloc(16);
  for (const [i, group] of all.entries()) bytes.writeUInt16BE(group, i * 2);
  if (ipv4Tail.length === 4) Buffer.from(ipv4Tail).copy(bytes, 12);
  return bytes;
}
