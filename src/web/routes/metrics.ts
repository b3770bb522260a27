import type { Metrics } from "../../observability/metrics.js";
import { send, type Route } from "../http-server.js";
import { bearerToken, safeEqual } from "./credentials.js";

export const METRICS_PATH = "/metrics";

export interface MetricsRouteOptions {
  /** CHANT_METRICS_TOKEN: when set, a scrape must send `Authorization: Bearer <token>`. */
  token?: string | undefined;
}

/** `GET /metrics`: every metric in Prometheus text format. */
export function metricsRoute(metrics: Metrics, options: MetricsRouteOptions = {}): Route {
  const token = options.token?.trim() || undefined;
  return async (req, res, url) => {
    if (url.pathname !== METRICS_PATH) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      send(res, 405, { error: `${req.method} is not allowed on ${METRICS_PATH}` });
      return true;
    }
    if (token !== undefined) {
      const given = bearerToken(req);
      if (given === undefined || !safeEqual(given, token)) {
        res.setHeader("www-authenticate", 'Bearer realm="chant-bot"');
        send(res, 401, { error: "a bearer token (CHANT_METRICS_TOKEN) is required" });
        return true;
      }
    }
    const body = await metrics.text();
    res.writeHead(200, { "content-type": metrics.contentType, "cache-control": "no-store" });
    res.end(body);
    return true;
  };
}
