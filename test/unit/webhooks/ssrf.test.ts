// The address rule: production refuses anything but public unicast, by literal and by DNS answer.
import { describe, expect, it } from "vitest";
import { checkWebhookUrl, isPublicAddress } from "../../../edge/src/webhooks/ssrf.ts";

const prod = (answers: Record<string, string[]> = {}) => ({
  allowPrivateUrls: false,
  resolve: async (host: string) => {
    const a = answers[host];
    if (!a) throw new Error("ENOTFOUND");
    return a;
  },
});

describe("webhook URL address rule", () => {
  it.each([
    ["127.0.0.1", false],
    ["10.1.2.3", false],
    ["172.16.0.1", false],
    ["192.168.1.1", false],
    ["169.254.169.254", false],
    ["100.64.0.1", false],
    ["0.0.0.0", false],
    ["224.0.0.1", false],
    ["::1", false],
    ["::", false],
    ["fe80::1", false],
    ["fd00::1", false],
    ["::ffff:127.0.0.1", false],
    ["::ffff:10.0.0.1", false],
    ["64:ff9b::a00:1", false],
    ["8.8.8.8", true],
    ["::ffff:8.8.8.8", true],
    ["2606:4700::1111", true],
    ["not-an-ip", false],
  ])("%s public: %s", (ip, expected) => {
    expect(isPublicAddress(ip)).toBe(expected);
  });

  it("refuses private literals, localhost names and names that resolve privately in production", async () => {
    const policy = prod({ "hooks.example.com": ["93.184.216.34"], "evil.example.com": ["93.184.216.34", "10.0.0.5"] });
    for (const url of [
      "http://127.0.0.1:8080/x",
      "http://2130706433/", // 127.0.0.1 as a number: the URL parser normalises it
      "http://[::1]/",
      "https://localhost/",
      "https://api.localhost/",
      "http://169.254.169.254/latest/meta-data",
      "https://evil.example.com/",
    ])
      expect(await checkWebhookUrl(url, policy), url).toEqual({
        ok: false,
        reason: "must not point at a loopback, private or link-local address",
      });
    expect(await checkWebhookUrl("https://hooks.example.com/in", policy)).toEqual({ ok: true });
    expect(await checkWebhookUrl("https://nowhere.example.com/", policy)).toMatchObject({
      ok: false,
      reason: /resolve/,
    });
  });

  it("checks syntax always and addresses only in production", async () => {
    const dev = { allowPrivateUrls: true };
    expect(await checkWebhookUrl("http://127.0.0.1:9/x", dev)).toEqual({ ok: true });
    expect(await checkWebhookUrl("ftp://example.com/", dev)).toMatchObject({ ok: false, reason: /http/ });
    expect(await checkWebhookUrl("https://user:pw@example.com/", dev)).toMatchObject({
      ok: false,
      reason: /credentials/,
    });
    expect(await checkWebhookUrl("/relative", dev)).toMatchObject({ ok: false });
    // Without a resolver (Workers) a name is taken as given; literals and localhost are still refused.
    expect(await checkWebhookUrl("https://hooks.example.com/", { allowPrivateUrls: false })).toEqual({ ok: true });
    expect(await checkWebhookUrl("https://10.0.0.1/", { allowPrivateUrls: false })).toMatchObject({ ok: false });
  });
});
