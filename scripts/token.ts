// `npm run -s token -- --tier pro --sub alice [--ttl 3600]`: a development HS256 token (secret
// GG_JWT_SECRET, else the documented development default; GG_ISSUER, GG_AUDIENCE and GG_TIERS_JSON as
// the gateway reads them). stdout carries the token alone, so `TOKEN=$(npm run -s token)` captures it;
// everything else goes to stderr (-s keeps npm's own banner off stdout).
import { parseArgs } from "node:util";
import { mintDevToken } from "../edge/src/auth/dev-token.ts";
import { DEFAULT_CONFIG, parseTiers } from "../edge/src/config.ts";

const USAGE = `usage: npm run -s token -- [--tier NAME] [--sub NAME] [--ttl SECONDS]
  --tier NAME      one of the gateway's tiers (default pro; GG_TIERS_JSON adds or changes tiers)
  --sub NAME       the tenant (default alice)
  --ttl SECONDS    lifetime (default 3600)
Prints only the token on stdout, e.g.  TOKEN=$(npm run -s token -- --tier eco)`;

function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        tier: { type: "string", default: "pro" },
        sub: { type: "string", default: "alice" },
        ttl: { type: "string", default: "3600" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (err) {
    fail(`${(err as Error).message}\n\n${USAGE}`);
  }
})();
if (values.help) fail(USAGE, 0);

let tiers: string[];
try {
  tiers = Object.keys(parseTiers(process.env.GG_TIERS_JSON));
} catch (err) {
  fail(`GG_TIERS_JSON is invalid: ${(err as Error).message}`);
}
// The gateway answers 401 unknown_tier to a token whose tier it does not have: refuse to mint one.
if (!tiers.includes(values.tier)) fail(`unknown tier "${values.tier}": use one of ${tiers.join(", ")}`);
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl <= 0) fail("--ttl must be a positive number of seconds");
if (!values.sub.trim()) fail("--sub must not be empty");

console.log(
  await mintDevToken({
    sub: values.sub,
    tier: values.tier,
    ttlSec: ttl,
    secret: process.env.GG_JWT_SECRET || undefined,
    issuer: process.env.GG_ISSUER || DEFAULT_CONFIG.issuer,
    audience: process.env.GG_AUDIENCE || DEFAULT_CONFIG.audience,
  }),
);
