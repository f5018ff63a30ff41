// The same gateway integration suite with the edge inside workerd (wrangler dev, Durable Object ledger).
import { gatewaySuite } from "../support/gateway-suite.ts";

gatewaySuite("workerd");
