/**
 * The app's credentials and the checks GitHub makes on them: an RS256 JWT
 * signed with the app's private key on `/app/...` routes, installation tokens
 * (`ghs_...`, valid one hour) everywhere else, and the same tokens as the
 * password of HTTP Basic auth for git.
 */
import { createPublicKey, generateKeyPairSync, randomBytes, verify } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { fullScope } from "./token-scope.js";
import type { TokenScope } from "./token-scope.js";

export interface AppKeys {
  privateKeyPem: string;
  publicKey: KeyObject;
}

let cachedKeys: AppKeys | undefined;

/** One key pair per process: generating RSA keys costs tens of milliseconds each. */
export function appKeys(): AppKeys {
  if (!cachedKeys) {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const privateKeyPem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    cachedKeys = { privateKeyPem, publicKey: createPublicKey(privateKey) };
  }
  return cachedKeys;
}

export class AuthError extends Error {
  constructor(message: string) {
    super(message);
  }
}

function base64UrlJson(part: string): unknown {
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
}

/**
 * Verifies an app JWT the way GitHub does: RS256 over `header.payload`,
 * `iss` the app id, `iat` not in the future, `exp` in the future and at most
 * ten minutes ahead. Messages follow GitHub's (octokit's auth-app matches on them).
 */
export function verifyAppJwt(
  token: string,
  publicKey: KeyObject,
  appId: number,
  nowMs = Date.now(),
) {
  const parts = token.split(".");
  if (parts.length !== 3) throw new AuthError("A JSON web token could not be decoded");
  const [headerPart = "", payloadPart = "", signaturePart = ""] = parts;
  let header: unknown;
  let payload: unknown;
  try {
    header = base64UrlJson(headerPart);
    payload = base64UrlJson(payloadPart);
  } catch {
    throw new AuthError("A JSON web token could not be decoded");
  }
  if (
    typeof header !== "object" ||
    header === null ||
    (header as { alg?: unknown }).alg !== "RS256"
  ) {
    throw new AuthError("A JSON web token could not be decoded");
  }
  const ok = verify(
    "RSA-SHA256",
    Buffer.from(`${headerPart}.${payloadPart}`),
    publicKey,
    Buffer.from(signaturePart, "base64url"),
  );
  if (!ok) throw new AuthError("A JSON web token could not be decoded");
  const claims = (typeof payload === "object" && payload !== null ? payload : {}) as {
    iss?: unknown;
    iat?: unknown;
    exp?: unknown;
  };
  if (String(claims.iss) !== String(appId)) {
    throw new AuthError(`Integration not found`);
  }
  const now = Math.floor(nowMs / 1000);
  if (typeof claims.iat !== "number" || !Number.isInteger(claims.iat) || claims.iat > now + 60) {
    throw new AuthError(
      "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued.",
    );
  }
  if (typeof claims.exp !== "number" || claims.exp <= now) {
    throw new AuthError(
      "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires.",
    );
  }
  if (claims.exp > now + 600 + 60) {
    throw new AuthError("'Expiration time' claim ('exp') is too far in the future.");
  }
}

export interface InstallationToken {
  token: string;
  installationId: number;
  createdAt: number;
  expiresAt: number;
  /** What it may reach (see token-scope.ts): all the installation's repositories and the app's permissions unless narrowed. */
  scope: TokenScope;
  /** The access-token request's body as sent (undefined for tokens made test-side). */
  requested?: unknown;
}

const TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

export function newInstallationToken(
  installationId: number,
  lifetimeMs: number,
  scope: TokenScope = fullScope(),
): InstallationToken {
  const bytes = randomBytes(36);
  let body = "";
  for (const byte of bytes) body += TOKEN_ALPHABET[byte % TOKEN_ALPHABET.length];
  const createdAt = Date.now();
  return {
    token: `ghs_${body}`,
    installationId,
    createdAt,
    expiresAt: createdAt + lifetimeMs,
    scope,
  };
}

export type AuthInfo =
  | { kind: "none" }
  | { kind: "app"; appId: number }
  | { kind: "installation"; installationId: number; token: string }
  | { kind: "invalid"; reason: string };

/** The credential in an Authorization header: `token X`, `Bearer X` or Basic with X as password. */
export function credentialOf(header: string | undefined): { scheme: string; value: string } | null {
  if (!header) return null;
  const match = /^(\w+)\s+(\S+)\s*$/.exec(header);
  if (!match) return null;
  const scheme = match[1]!.toLowerCase();
  const value = match[2]!;
  if (scheme === "basic") {
    const decoded = Buffer.from(value, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return { scheme, value: colon >= 0 ? decoded.slice(colon + 1) : decoded };
  }
  return { scheme, value };
}
