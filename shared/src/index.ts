export * from "./errors.ts";
export * from "./events.ts";
export * from "./policies.ts";
export * from "./request.ts";
export * from "./tiers.ts";
export * from "./worker.ts";
export * from "./webhooks.ts";
