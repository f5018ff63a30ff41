// Kept only for pool/pool.ts, which still imports Clock from here (owned by the pool work in parallel):
// switch it to "../clock.ts" and delete this file. Everything else imports clock.ts, auth/caller.ts or deps.ts.
export { type Clock, systemClock } from "./clock.ts";
