import { describe, expect, it } from "vitest";
import {
  isPublicAddress,
  matchEgressRule,
  parseEgressRule,
  parseEgressRules,
  ruleForUrl,
} from "../../src/sandbox/egress-rules.js";
import { SandboxConfigError, type EgressRule } from "../../src/sandbox/sandbox.js";

const SOURCE = "CHANT_SANDBOX_EGRESS";

function configError(run: () => unknown): SandboxConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SandboxConfigError);
    return error as SandboxConfigError;
  }
  throw new Error("expected a SandboxConfigError, nothing was thrown");
}

describe("parseEgressRule", () => {
  it.each<[string, EgressRule]>([
    ["api.anthropic.com", { host: "api.anthropic.com", port: undefined }],
    ["API.Example.COM:8443", { host: "api.example.com", port: 8443 }],
    ["localhost", { host: "localhost", port: undefined }],
    ["*.example.com", { host: "*.example.com", port: undefined }],
    ["*.example.com:8080", { host: "*.example.com", port: 8080 }],
    ["a-b.c-d.example", { host: "a-b.c-d.example", port: undefined }],
    ["10.0.0.5", { host: "10.0.0.5", port: undefined }],
    ["127.0.0.1:3128", { host: "127.0.0.1", port: 3128 }],
    ["::1", { host: "::1", port: undefined }],
    ["2606:4700::1111", { host: "2606:4700::1111", port: undefined }],
    ["[::1]", { host: "::1", port: undefined }],
    ["[::1]:8080", { host: "::1", port: 8080 }],
    ["[FD00:EC2::254]:80", { host: "fd00:ec2::254", port: 80 }],
    ["host:1", { host: "host", port: 1 }],
    ["host:65535", { host: "host", port: 65535 }],
  ])("%s", (entry, rule) => {
    expect(parseEgressRule(entry, SOURCE)).toEqual(rule);
  });

  it.each([
    "host:0",
    "host:65536",
    "host:99999",
    "host:abc",
    "host:",
    "host:+80",
    "host:8e2",
    "[::1]:0",
    "[::1]:70000",
    "1.2.3.4:-1",
  ])("refuses the port of %s", (entry) => {
    const error = configError(() => parseEgressRule(entry, SOURCE));
    expect(error.message).toBe(`${SOURCE}: "${entry}" has no valid port (1-65535)`);
  });

  it.each([
    "",
    "-bad.example.com",
    "bad-.example.com",
    "a..b",
    "under_score.com",
    "*example.com",
    "foo*.example.com",
    "*.*.example.com",
    "*.",
    "exa mple.com",
    "host/path",
    "user@host",
    "[zz]",
    "ex\u00e4mple.com",
    `${"a".repeat(64)}.com`,
  ])("refuses the name %j", (entry) => {
    const error = configError(() => parseEgressRule(entry, SOURCE));
    expect(error.message).toBe(
      `${SOURCE}: "${entry}" is not a host name, *.domain or IP address (with an optional :port)`,
    );
  });

  it("says the source it was given", () => {
    expect(() => parseEgressRule("bad_host", "SOMEWHERE")).toThrow(/^SOMEWHERE: "bad_host"/);
  });
});

describe("parseEgressRules", () => {
  it("reads comma- and whitespace-separated entries, skipping empty ones", () => {
    expect(parseEgressRules(" a.com, *.b.org:8443\n10.0.0.1:80\t[::1]:9,, ", SOURCE)).toEqual([
      { host: "a.com", port: undefined },
      { host: "*.b.org", port: 8443 },
      { host: "10.0.0.1", port: 80 },
      { host: "::1", port: 9 },
    ]);
  });

  it("is empty for nothing", () => {
    expect(parseEgressRules(undefined, SOURCE)).toEqual([]);
    expect(parseEgressRules("  , ", SOURCE)).toEqual([]);
  });

  it("fails on the first bad entry with its message", () => {
    const error = configError(() => parseEgressRules("a.com, b_c.com, d.com:0", SOURCE));
    expect(error.message).toContain('"b_c.com" is not a host name');
  });
});

describe("matchEgressRule", () => {
  const rules = parseEgressRules(
    "api.example.com *.example.org gw.internal:8443 10.1.2.3:8080 [::1]:9000",
    SOURCE,
  );

  it("a rule without a port allows 80 and 443 only", () => {
    expect(matchEgressRule("api.example.com", 443, rules)).toEqual(rules[0]);
    expect(matchEgressRule("api.example.com", 80, rules)).toEqual(rules[0]);
    expect(matchEgressRule("api.example.com", 8443, rules)).toBeUndefined();
    expect(matchEgressRule("api.example.com", 22, rules)).toBeUndefined();
  });

  it("a rule with a port allows that port only", () => {
    expect(matchEgressRule("gw.internal", 8443, rules)).toEqual(rules[2]);
    expect(matchEgressRule("gw.internal", 443, rules)).toBeUndefined();
    expect(matchEgressRule("gw.internal", 80, rules)).toBeUndefined();
    expect(matchEgressRule("10.1.2.3", 8080, rules)).toEqual(rules[3]);
    expect(matchEgressRule("10.1.2.3", 443, rules)).toBeUndefined();
  });

  it("ignores case and IPv6 brackets", () => {
    expect(matchEgressRule("API.Example.Com", 443, rules)).toEqual(rules[0]);
    expect(matchEgressRule("[::1]", 9000, rules)).toEqual(rules[4]);
    expect(matchEgressRule("::1", 9000, rules)).toEqual(rules[4]);
  });

  it("a wildcard matches subdomains at any depth, not the bare domain nor a suffix trick", () => {
    expect(matchEgressRule("a.example.org", 443, rules)).toEqual(rules[1]);
    expect(matchEgressRule("a.b.c.example.org", 80, rules)).toEqual(rules[1]);
    expect(matchEgressRule("example.org", 443, rules)).toBeUndefined();
    expect(matchEgressRule("evilexample.org", 443, rules)).toBeUndefined();
    expect(matchEgressRule("example.org.evil.com", 443, rules)).toBeUndefined();
    expect(matchEgressRule("a.example.org", 8443, rules)).toBeUndefined();
  });

  it("an exact name does not match its subdomains or look-alikes", () => {
    expect(matchEgressRule("x.api.example.com", 443, rules)).toBeUndefined();
    expect(matchEgressRule("api.example.com.evil.com", 443, rules)).toBeUndefined();
    expect(matchEgressRule("api.example.co", 443, rules)).toBeUndefined();
    expect(matchEgressRule("10.1.2.30", 8080, rules)).toBeUndefined();
  });

  it("nothing matches an empty list", () => {
    expect(matchEgressRule("api.example.com", 443, [])).toBeUndefined();
  });
});

describe("ruleForUrl", () => {
  it.each<[string, EgressRule]>([
    ["https://api.anthropic.com", { host: "api.anthropic.com", port: 443 }],
    ["https://API.openai.com/v1/", { host: "api.openai.com", port: 443 }],
    ["http://gateway.lan/v1", { host: "gateway.lan", port: 80 }],
    ["http://10.0.0.5:8080/v1", { host: "10.0.0.5", port: 8080 }],
    ["https://127.0.0.1:4000", { host: "127.0.0.1", port: 4000 }],
    ["https://[::1]:8443/x", { host: "::1", port: 8443 }],
    ["https://[fd00::1]", { host: "fd00::1", port: 443 }],
    ["http://host:80", { host: "host", port: 80 }],
  ])("%s", (value, rule) => {
    expect(ruleForUrl(value, "ANTHROPIC_BASE_URL")).toEqual(rule);
  });

  it("is undefined when not set", () => {
    expect(ruleForUrl(undefined, "ANTHROPIC_BASE_URL")).toBeUndefined();
    expect(ruleForUrl("", "ANTHROPIC_BASE_URL")).toBeUndefined();
  });

  it("refuses what is not a URL", () => {
    const error = configError(() => ruleForUrl("api.anthropic.com", "ANTHROPIC_BASE_URL"));
    expect(error.message).toBe('ANTHROPIC_BASE_URL "api.anthropic.com" is not a URL');
  });

  it("refuses a URL without a usable host", () => {
    const error = configError(() => ruleForUrl("file:///etc/passwd", "OPENAI_BASE_URL"));
    expect(error.message).toMatch(/^OPENAI_BASE_URL: ".*" is not a host name/);
  });
});

describe("isPublicAddress", () => {
  it.each<[string, boolean]>([
    // IPv4
    ["8.8.8.8", true],
    ["1.1.1.1", true],
    ["127.0.0.1", false],
    ["127.255.255.254", false],
    ["10.0.0.1", false],
    ["10.255.255.255", false],
    ["11.0.0.1", true],
    ["172.15.255.255", true],
    ["172.16.0.0", false],
    ["172.20.1.1", false],
    ["172.31.255.255", false],
    ["172.32.0.0", true],
    ["192.168.0.1", false],
    ["192.168.255.255", false],
    ["192.169.0.1", true],
    ["169.254.169.254", false],
    ["169.254.0.1", false],
    ["100.64.0.1", false],
    ["100.127.255.255", false],
    ["100.63.255.255", true],
    ["100.128.0.0", true],
    ["0.0.0.0", false],
    ["0.1.2.3", false],
    ["192.0.2.1", false],
    ["198.18.0.1", false],
    ["198.51.100.7", false],
    ["203.0.113.9", false],
    ["224.0.0.1", false],
    ["239.255.255.250", false],
    ["240.0.0.1", false],
    ["255.255.255.255", false],
    // IPv6
    ["2606:4700::1111", true],
    ["2001:4860:4860::8888", true],
    ["::1", false],
    ["0:0:0:0:0:0:0:1", false],
    ["::", false],
    ["fc00::1", false],
    ["fd00::1", false],
    ["fd00:ec2::254", false],
    ["FD00:EC2::254", false],
    ["fe80::1", false],
    ["fe80::1%eth0", false],
    ["febf::1", false],
    ["fec0::1", false],
    ["ff02::1", false],
    ["64:ff9b::1", false],
    ["64:ff9b::808:808", false],
    ["2002::1", false],
    ["2001:db8::1", false],
    ["2001:0:4136:e378::1", false],
    // IPv4 inside IPv6, in every spelling: a connection to one reaches the IPv4 address.
    ["::ffff:127.0.0.1", false],
    ["::FFFF:127.0.0.1", false],
    ["::ffff:7f00:1", false],
    ["0::ffff:127.0.0.1", false],
    ["0:0:0:0:0:ffff:7f00:1", false],
    ["0:0:0:0:0:ffff:127.0.0.1", false],
    ["::ffff:a9fe:a9fe", false],
    ["::ffff:169.254.169.254", false],
    ["::ffff:10.0.0.1", false],
    ["::127.0.0.1", false],
    ["::7f00:1", false],
    ["::ffff:0:7f00:1", false],
    ["::ffff:8.8.8.8", true],
    ["::ffff:808:808", true],
    // not addresses at all
    ["", false],
    ["localhost", false],
    ["example.com", false],
    ["8.8.8", false],
    ["999.1.1.1", false],
    ["[::1]", false],
  ])("%s -> %s", (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });
});
