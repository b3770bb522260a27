/**
 * Which destinations a sandboxed process may reach through the egress proxy.
 * A rule names a host (`api.anthropic.com`, `*.example.com`) or an IP literal,
 * and optionally a port (default: 80 and 443). Names only ever reach PUBLIC
 * addresses: whatever a name resolves to, the host's loopback (Redis, the
 * app's own port), private networks and cloud metadata addresses are refused.
 * An IP literal rule is the operator's explicit choice and is honoured even
 * when private (a model gateway on the LAN, a stand-in on 127.0.0.1 in tests).
 */
import { isIP } from "node:net";
import { SandboxConfigError, type EgressRule } from "./sandbox.js";

const HOST_NAME =
  /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** `host[:port]` entries, comma- or whitespace-separated (`CHANT_SANDBOX_EGRESS`). */
export function parseEgressRules(list: string | undefined, source: string): EgressRule[] {
  const rules: EgressRule[] = [];
  for (const raw of (list ?? "").split(/[\s,]+/)) {
    const entry = raw.trim();
    if (entry === "") continue;
    rules.push(parseEgressRule(entry, source));
  }
  return rules;
}

export function parseEgressRule(entry: string, source: string): EgressRule {
  let host = entry.toLowerCase();
  let port: number | undefined;
  const bracketed = /^\[([0-9a-f:.]+)\](?::(\d+))?$/.exec(host);
  if (bracketed) {
    host = bracketed[1]!;
    port = bracketed[2] === undefined ? undefined : Number(bracketed[2]);
  } else if (isIP(host) !== 6) {
    const colon = host.lastIndexOf(":");
    if (colon !== -1) {
      port = Number(host.slice(colon + 1));
      host = host.slice(0, colon);
      if (!/^\d{1,5}$/.test(entry.slice(entry.lastIndexOf(":") + 1))) port = Number.NaN;
    }
  }
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
    throw new SandboxConfigError(`${source}: "${entry}" has no valid port (1-65535)`);
  }
  if (isIP(host) === 0 && !HOST_NAME.test(host)) {
    throw new SandboxConfigError(
      `${source}: "${entry}" is not a host name, *.domain or IP address (with an optional :port)`,
    );
  }
  return { host, port };
}

/** The rule `host` at `port` matches, if any. */
export function matchEgressRule(
  host: string,
  port: number,
  rules: readonly EgressRule[],
): EgressRule | undefined {
  const name = host.toLowerCase().replace(/^\[|\]$/g, "");
  return rules.find((rule) => {
    const portOk = rule.port === undefined ? port === 443 || port === 80 : rule.port === port;
    if (!portOk) return false;
    if (rule.host.startsWith("*.")) return name.endsWith(rule.host.slice(1));
    return rule.host === name;
  });
}

/** The rule for an agent's base URL setting (`ANTHROPIC_BASE_URL`, `OPENAI_BASE_URL`). */
export function ruleForUrl(value: string | undefined, source: string): EgressRule | undefined {
  if (!value) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SandboxConfigError(`${source} "${value}" is not a URL`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const port = url.port ? Number(url.port) : url.protocol === "http:" ? 80 : 443;
  return parseEgressRule(isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`, source);
}

/**
 * Whether `address` (an IP) is on the public internet: not loopback,
 * private, link-local (cloud metadata: 169.254.169.254, fd00:ec2::254),
 * carrier-grade NAT, multicast, reserved or unspecified.
 */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return isPublicV4(address);
  if (family !== 6) return false;
  const groups = expandV6(address.toLowerCase());
  if (!groups) return false;
  const first = groups[0]!;
  if (groups.every((g) => g === 0)) return false; // ::
  if (groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1) return false; // ::1
  // IPv4-mapped (::ffff:0:0/96) and -compatible (::/96) forms carry an IPv4 address however
  // they are written (::ffff:127.0.0.1, ::ffff:7f00:1, 0::ffff:127.0.0.1): a connection to
  // one reaches that IPv4 address. IPv4-translated (::ffff:0:0:0/96) is never public.
  if (groups.slice(0, 5).every((g) => g === 0) && (groups[5] === 0xffff || groups[5] === 0)) {
    const [hi, lo] = [groups[6]!, groups[7]!];
    return isPublicV4(`${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`);
  }
  if (groups.slice(0, 4).every((g) => g === 0) && groups[4] === 0xffff && groups[5] === 0) {
    return false;
  }
  if ((first & 0xfe00) === 0xfc00) return false; // fc00::/7 unique local (fd00:ec2::254)
  if ((first & 0xffc0) === 0xfe80) return false; // fe80::/10 link-local
  if ((first & 0xffc0) === 0xfec0) return false; // fec0::/10 site-local
  if ((first & 0xff00) === 0xff00) return false; // multicast
  if (first === 0x64 && groups[1] === 0xff9b) return false; // 64:ff9b::/96 NAT64 (maps IPv4)
  if (first === 0x2001 && groups[1] === 0x0db8) return false; // documentation
  if (first === 0x2002) return false; // 6to4 (maps IPv4)
  if (first === 0x2001 && groups[1] === 0) return false; // Teredo
  return true;
}

function isPublicV4(address: string): boolean {
  const [a, b, c] = address.split(".").map(Number) as [number, number, number, number];
  if (a === 0 || a === 10 || a === 127) return false;
  if (a === 100 && b >= 64 && b <= 127) return false; // CGNAT
  if (a === 169 && b === 254) return false; // link-local, cloud metadata
  if (a === 172 && b >= 16 && b <= 31) return false;
  if (a === 192 && b === 168) return false;
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return false; // IETF, TEST-NET-1
  if (a === 198 && (b === 18 || b === 19)) return false; // benchmarking
  if (a === 198 && b === 51 && c === 100) return false; // TEST-NET-2
  if (a === 203 && b === 0 && c === 113) return false; // TEST-NET-3
  if (a >= 224) return false; // multicast, reserved, broadcast
  return true;
}

function expandV6(address: string): number[] | undefined {
  const zone = address.indexOf("%");
  let text = zone === -1 ? address : address.slice(0, zone);
  // A dotted IPv4 tail (::ffff:127.0.0.1) is the last two groups.
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    if (isIP(dotted[2]!) !== 4) return undefined;
    const [a, b, c, d] = dotted[2]!.split(".").map(Number) as [number, number, number, number];
    text = `${dotted[1]!}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  if (tail === undefined && left.length !== 8) return undefined;
  const missing = 8 - left.length - right.length;
  if (missing < 0) return undefined;
  const groups = [...left, ...new Array<number>(missing).fill(0), ...right];
  return groups.some((g) => Number.isNaN(g) || g < 0 || g > 0xffff) ? undefined : groups;
}
