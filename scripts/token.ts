// `npm run token -- --tier pro --sub alice [--ttl 3600]`: a development HS256 token
// (secret GG_JWT_SECRET, else the documented development default).
import { parseArgs } from "node:util";
import { mintDevToken } from "../edge/src/auth/dev-token.ts";

const { values } = parseArgs({
  options: { tier: { type: "string", default: "pro" }, sub: { type: "string", default: "alice" }, ttl: { type: "string", default: "3600" } },
});
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl <= 0) {
  console.error("--ttl must be a positive number of seconds");
  process.exit(2);
}
console.log(await mintDevToken({ sub: values.sub!, tier: values.tier!, ttlSec: ttl, secret: process.env.GG_JWT_SECRET || undefined }));
