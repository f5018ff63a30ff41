// The gateway integration suite with the edge on Node (@hono/node-server, SQLite ledger).
import { gatewaySuite } from "../support/gateway-suite.ts";

gatewaySuite("node");
