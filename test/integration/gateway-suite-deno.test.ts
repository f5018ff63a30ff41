// The gateway suite with the edge on Deno (Deno.serve, stores on Deno KV).
import { gatewaySuite } from "../support/gateway-suite.ts";

gatewaySuite("deno");
