// Worker threads start without the parent's TypeScript hooks: register tsx here, then load the thread.
import { register } from "tsx/esm/api";

register();
await import("./thread.ts");
