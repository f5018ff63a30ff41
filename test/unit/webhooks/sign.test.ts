// Signatures made with the standardwebhooks package verify with its Webhook.verify, through rotation.
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { activeSecrets, newSecret, signedHeaders } from "../../../edge/src/webhooks/sign.ts";

const payload = JSON.stringify({ type: "job.completed", data: { id: "job_1" } });

describe("webhook signatures", () => {
  it("makes whsec_ secrets of 32 random bytes", () => {
    const s = newSecret();
    expect(s).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(atob(s.slice("whsec_".length)).length).toBe(32);
    expect(newSecret()).not.toBe(s);
  });

  it("signs v1 HMAC-SHA256 that Webhook.verify accepts, and refuses a tampered body", () => {
    const secret = newSecret();
    const headers = signedHeaders([secret], "msg_1", Date.now(), payload);
    expect(headers["webhook-id"]).toBe("msg_1");
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
    expect(new Webhook(secret).verify(payload, headers)).toEqual(JSON.parse(payload));
    expect(() => new Webhook(secret).verify(payload.replace("job_1", "job_2"), headers)).toThrow(/signature/i);
    expect(() => new Webhook(newSecret()).verify(payload, headers)).toThrow(/signature/i);
  });

  it("signs with both secrets during the overlap after a rotation, then only with the new one", () => {
    const now = Date.now();
    const secrets = { secret: newSecret(), previous_secret: newSecret(), previous_secret_expires_at: now + 1000 };
    const both = signedHeaders(activeSecrets(secrets, now), "msg_2", now, payload);
    expect(both["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(() => new Webhook(secrets.secret).verify(payload, both)).not.toThrow();
    expect(() => new Webhook(secrets.previous_secret).verify(payload, both)).not.toThrow();
    const later = signedHeaders(activeSecrets(secrets, now + 1000), "msg_2", now, payload);
    expect(() => new Webhook(secrets.previous_secret).verify(payload, later)).toThrow();
  });
});
