// Headless Debian Chromium through playwright-core (no downloaded browsers): the browser test and
// scripts/screenshot.ts share these flags. Flags keep it offline and quiet on a CI box.
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM_PATH = process.env.GG_CHROMIUM_PATH || "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export const hasChromium = (): boolean => existsSync(CHROMIUM_PATH);

export async function launchChromium(): Promise<Browser> {
  if (!hasChromium())
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: apt-get install -y chromium (or set GG_CHROMIUM_PATH)`);
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}
